/**
 * The one registry of error codes the app raises on purpose, each with the HTTP status the API answers
 * with. Callers branch on codes, never on message text; a code that is not listed here cannot be thrown.
 */
export const ERROR_CODES = {
  // requests
  invalid_request: 400,
  invalid_options: 400,
  invalid_schedule: 400,
  invalid_gain: 400,
  unsupported_codec: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  body_too_large: 413,
  unsupported_media_type: 415,
  range_not_satisfiable: 416,
  request_failed: 400,
  internal: 500,
  // conferences and participants
  conference_not_found: 404,
  participant_not_found: 404,
  conference_ended: 409,
  not_scheduled: 409,
  listen_only: 409,
  // definitions
  definition_not_found: 404,
  definition_exists: 409,
  definition_read_only: 409,
  // recordings
  recording_not_found: 404,
  recording_file_missing: 404,
  recording_disabled: 409,
  already_recording: 409,
  not_recording: 409,
  participant_recording_unsupported: 409,
  // the node whose Asterisk holds an Asterisk-mixer recording is down or not driven by this instance
  recording_node_unavailable: 503,
  // mixers and media
  mixer_unavailable: 503,
  media_setup_failed: 502,
  media_setup_timeout: 504,
  duplicate_leg: 409,
  room_not_found: 404,
  media_not_started: 503,
  media_thread_failed: 503,
  media_thread_error: 500,
  // nodes (several Asterisk servers)
  node_not_found: 404,
  node_exists: 409,
  wrong_node: 409,
  // browsers (WebRTC)
  join_token_invalid: 401,
  join_token_expired: 410,
  webrtc_unavailable: 503,
  webrtc_failed: 502,
  // Asterisk answered with an error (AriError keeps Asterisk's own status beside this one)
  ari_bad_request: 400,
  ari_unauthorized: 401,
  ari_not_found: 404,
  ari_conflict: 409,
  ari_unprocessable: 422,
  ari_server_error: 502,
  ari_error: 502,
  ari_closed: 502,
  ari_timeout: 504,
  ari_unreachable: 502,
  // start-up
  invalid_config: 500,
  path_not_writable: 500,
  lease_not_held: 503,
  holder_unreachable: 503,
  // another instance holds the conference's claim (src/ha/ConferenceClaims.ts)
  conference_elsewhere: 409,
  // the shared PostgreSQL store (store.url) cannot be reached: writes fail, live calls go on
  store_unavailable: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

/** Every error the app raises on purpose: a registered code, its status, and details for the answer. */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, status: number = ERROR_CODES[code]) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
