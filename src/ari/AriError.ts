import { AppError, type ErrorCode } from '../lib/errors';

const CODES: Partial<Record<number, ErrorCode>> = {
  400: 'ari_bad_request',
  401: 'ari_unauthorized',
  404: 'ari_not_found',
  409: 'ari_conflict',
  422: 'ari_unprocessable',
};

/** A failed ARI request, with Asterisk's HTTP status kept: 404 and 409 differ by status, not by text. */
export class AriError extends AppError {
  readonly method: string;
  readonly path: string;

  constructor(status: number, method: string, path: string, message: string, code?: ErrorCode) {
    super(
      code ?? CODES[status] ?? (status >= 500 ? 'ari_server_error' : 'ari_error'),
      `${method} ${path}: ${status} ${message}`,
      { ariStatus: status },
      status >= 500 || status === 0 ? 502 : status,
    );
    this.name = 'AriError';
    this.ariStatus = status;
    this.method = method;
    this.path = path;
    this.reason = message;
  }

  /** The status Asterisk answered (0 when there was no answer). */
  readonly ariStatus: number;
  /** Asterisk's own message: `message` in its JSON body, or `error` (Originate's "Allocation failed"). */
  readonly reason: string;
}

export function isAriError(error: unknown): error is AriError {
  return error instanceof AriError;
}

export function isNotFound(error: unknown): boolean {
  return isAriError(error) && error.ariStatus === 404;
}

/**
 * Teardown of something that may already be gone: 404 ("Channel not found", a stopped playback) and
 * 422 "Channel not in this bridge" count as success.
 */
export async function ignoreGone<T>(promise: Promise<T>): Promise<T | undefined> {
  try {
    return await promise;
  } catch (error) {
    if (isAriError(error) && (error.ariStatus === 404 || (error.ariStatus === 422 && /not in this bridge/i.test(error.reason)))) {
      return undefined;
    }
    throw error;
  }
}
