import { AriError } from './AriError';

export interface TransportOptions {
  /** e.g. http://127.0.0.1:8088 (the `/ari` prefix is added here). */
  url: string;
  username: string;
  password: string;
  requestTimeoutMs: number;
}

export interface ParamPlacement {
  path: string[];
  body: string[];
}

/** Sends one REST request per generated operation; everything not in the path or body is a query parameter. */
export class AriTransport {
  private readonly base: string;
  private readonly auth: string;
  private closed = false;
  private readonly pending = new Set<AbortController>();
  errors = 0;
  onError: (error: AriError) => void = () => undefined;

  constructor(private readonly options: TransportOptions) {
    this.base = `${options.url.replace(/\/+$/, '')}/ari`;
    this.auth = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
  }

  close(): void {
    this.closed = true;
    for (const controller of this.pending) controller.abort(new AriError(0, '-', '-', 'client closed', 'ari_closed'));
  }

  async call<T>(
    method: string,
    template: string,
    params: object,
    placement: ParamPlacement,
    responseType: 'json' | 'binary' = 'json',
  ): Promise<T> {
    const values = params as Record<string, unknown>;
    let path = template;
    for (const name of placement.path) {
      const value = values[name];
      if (value === undefined) throw new AriError(0, method, template, `missing path parameter ${name}`, 'ari_bad_request');
      path = path.replace(`{${name}}`, encodeURIComponent(scalar(value)));
    }
    const query = new URLSearchParams();
    let body: Record<string, unknown> | undefined;
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined || placement.path.includes(name)) continue;
      if (placement.body.includes(name)) {
        body = { ...body, [name]: value };
        continue;
      }
      // ARI takes lists comma-separated; repeated parameters keep only the last (FINDINGS "Prompts").
      query.set(name, Array.isArray(value) ? value.map(scalar).join(',') : scalar(value));
    }
    const qs = query.toString();
    const url = `${this.base}${path}${qs ? `?${qs}` : ''}`;
    return this.send<T>(method, path, url, body, responseType);
  }

  private async send<T>(method: string, path: string, url: string, body: unknown, responseType: 'json' | 'binary'): Promise<T> {
    if (this.closed) throw new AriError(0, method, path, 'client closed', 'ari_closed');
    const controller = new AbortController();
    this.pending.add(controller);
    const timer = setTimeout(
      () => controller.abort(new AriError(0, method, path, `no answer within ${this.options.requestTimeoutMs} ms`, 'ari_timeout')),
      this.options.requestTimeoutMs,
    );
    try {
      const headers: Record<string, string> = { authorization: this.auth };
      if (body !== undefined) headers['content-type'] = 'application/json';
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers,
          signal: controller.signal,
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
      } catch (error) {
        const reason: unknown = controller.signal.reason;
        if (reason instanceof AriError) throw reason;
        throw new AriError(0, method, path, `unreachable: ${errorCause(error)}`, 'ari_unreachable');
      }
      if (response.status === 204) return undefined as T;
      if (response.ok) {
        if (responseType === 'binary') return (await response.arrayBuffer()) as T;
        const text = await response.text();
        return (text ? JSON.parse(text) : undefined) as T;
      }
      const text = await response.text().catch(() => '');
      throw new AriError(response.status, method, path, messageOf(text, response.statusText));
    } catch (error) {
      if (error instanceof AriError) {
        this.errors++;
        this.onError(error);
        throw error;
      }
      const wrapped = new AriError(0, method, path, errorCause(error), 'ari_unreachable');
      this.errors++;
      this.onError(wrapped);
      throw wrapped;
    } finally {
      clearTimeout(timer);
      this.pending.delete(controller);
    }
  }
}

function scalar(value: unknown): string {
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

function errorCause(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? cause.message : error.message;
  }
  return String(error);
}

function messageOf(text: string, fallback: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown; error?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // Not JSON (Asterisk answers some errors with HTML).
  }
  return text.trim() || fallback;
}
