import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { AriError } from './AriError';

export interface TransportOptions {
  /** e.g. http://127.0.0.1:8088 (the `/ari` prefix is added here). */
  url: string;
  username: string;
  password: string;
  /** What Asterisk may take to answer a request once it is on a connection. */
  requestTimeoutMs: number;
  /**
   * At most this many HTTP connections to Asterisk; further requests wait for a free one. Asterisk's
   * http.conf `sessionlimit` (default 100) counts every connection, the events socket included, and
   * closes the excess at once (FINDINGS "HTTP session limit").
   */
  maxConnections: number;
  /** Throws to refuse a request before it is sent (AriClientOptions.guard). */
  guard?: () => void;
}

/**
 * Asterisk closes a kept-alive connection after `session_keep_alive` (default 15 s) idle: ours are closed
 * first, so a request is never sent on one Asterisk is closing.
 */
const IDLE_CLOSE_MS = 10000;

/**
 * A request that found no free connection for this long fails: Asterisk has not been keeping up for a
 * while. Until then a burst waits its turn instead of failing callers.
 */
const QUEUE_LIMIT_MS = 30000;

export interface ParamPlacement {
  path: string[];
  body: string[];
}

/**
 * Sends one REST request per generated operation; everything not in the path or body is a query parameter.
 * Requests share a bounded pool of kept-alive connections (node:http's Agent, as `ws` uses for the events
 * socket): past `maxConnections` they queue instead of opening connections Asterisk would refuse.
 */
export class AriTransport {
  private readonly base: string;
  private readonly auth: string;
  private readonly secure: boolean;
  private readonly agent: HttpAgent;
  private closed = false;
  private readonly pending = new Set<AbortController>();
  errors = 0;
  onError: (error: AriError) => void = () => undefined;

  constructor(private readonly options: TransportOptions) {
    this.base = `${options.url.replace(/\/+$/, '')}/ari`;
    this.auth = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
    this.secure = this.base.startsWith('https:');
    const pool = {
      keepAlive: true,
      maxSockets: options.maxConnections,
      maxFreeSockets: options.maxConnections,
      timeout: IDLE_CLOSE_MS,
      // The most recently used connection first: after a burst the spare ones idle out and free their sessions.
      scheduling: 'lifo' as const,
    };
    this.agent = this.secure ? new HttpsAgent(pool) : new HttpAgent(pool);
  }

  /** Requests waiting for a free connection. */
  get waiting(): number {
    return Object.values(this.agent.requests).reduce((n, list) => n + (list?.length ?? 0), 0);
  }

  /** Connections open now, busy or idle: what this client counts against Asterisk's session limit. */
  get connections(): number {
    const count = (sockets: NodeJS.ReadOnlyDict<unknown[]>): number =>
      Object.values(sockets).reduce((n, list) => n + (list?.length ?? 0), 0);
    return count(this.agent.sockets) + count(this.agent.freeSockets);
  }

  close(): void {
    this.closed = true;
    for (const controller of this.pending) controller.abort(new AriError(0, '-', '-', 'client closed', 'ari_closed'));
    this.agent.destroy();
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
    this.options.guard?.();
    if (this.closed) throw new AriError(0, method, path, 'client closed', 'ari_closed');
    const controller = new AbortController();
    this.pending.add(controller);
    const abort = (message: string) => () => controller.abort(new AriError(0, method, path, message, 'ari_timeout'));
    // Waiting for a free connection is our own queue, not Asterisk being slow: it has its own, longer bound.
    const limits = {
      queue: setTimeout(
        abort(`waited ${QUEUE_LIMIT_MS} ms for one of ari.maxConnections (${this.options.maxConnections})`),
        QUEUE_LIMIT_MS,
      ),
      answer: undefined as NodeJS.Timeout | undefined,
    };
    const connected = (): void => {
      clearTimeout(limits.queue);
      clearTimeout(limits.answer);
      limits.answer = setTimeout(abort(`no answer within ${this.options.requestTimeoutMs} ms`), this.options.requestTimeoutMs);
    };
    try {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      let answer: Answer;
      try {
        answer = await this.exchange(method, url, payload, controller.signal, connected);
      } catch (error) {
        const reason: unknown = controller.signal.reason;
        if (reason instanceof AriError) throw reason;
        throw new AriError(0, method, path, `unreachable: ${errorCause(error)}`, 'ari_unreachable');
      }
      if (answer.status === 204) return undefined as T;
      if (answer.status >= 200 && answer.status < 300) {
        if (responseType === 'binary')
          return answer.body.buffer.slice(answer.body.byteOffset, answer.body.byteOffset + answer.body.length) as T;
        const text = answer.body.toString('utf8');
        return (text ? JSON.parse(text) : undefined) as T;
      }
      throw new AriError(answer.status, method, path, messageOf(answer.body.toString('utf8'), answer.statusText));
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
      clearTimeout(limits.queue);
      clearTimeout(limits.answer);
      this.pending.delete(controller);
    }
  }

  /**
   * One request on a pooled connection. A kept-alive connection that the server closed just as we reused
   * it fails before any answer, and Node marks it `reusedSocket`: that request never reached Asterisk and
   * is sent again, once, on a fresh connection.
   */
  private async exchange(
    method: string,
    url: string,
    payload: Buffer | undefined,
    signal: AbortSignal,
    connected: () => void,
  ): Promise<Answer> {
    try {
      return await this.once(method, url, payload, signal, connected);
    } catch (error) {
      if (!(error instanceof StaleConnection) || signal.aborted) throw error instanceof StaleConnection ? error.cause : error;
      return this.once(method, url, payload, signal, connected);
    }
  }

  /** `connected` runs when the request has a connection: from then on Asterisk has requestTimeoutMs to answer. */
  private once(method: string, url: string, payload: Buffer | undefined, signal: AbortSignal, connected: () => void): Promise<Answer> {
    return new Promise<Answer>((resolve, reject) => {
      const headers: Record<string, string | number> = { authorization: this.auth };
      if (payload !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = payload.length;
      }
      const request = (this.secure ? httpsRequest : httpRequest)(url, { method, headers, agent: this.agent, signal });
      request.once('socket', connected);
      let answered = false;
      request.on('response', (response) => {
        answered = true;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', body: Buffer.concat(chunks) }),
        );
      });
      request.on('error', (error) => reject(!answered && request.reusedSocket && !signal.aborted ? new StaleConnection(error) : error));
      request.end(payload);
    });
  }
}

interface Answer {
  status: number;
  statusText: string;
  body: Buffer;
}

class StaleConnection extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
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
