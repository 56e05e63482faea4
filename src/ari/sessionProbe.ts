import { Agent as HttpAgent, request as httpRequest, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface SessionProbeOptions {
  url: string;
  username: string;
  password: string;
  /** Connections to hold open at once. */
  count: number;
  timeoutMs: number;
}

export interface SessionProbeResult {
  /** Connections that got an answer to `GET /asterisk/ping`. */
  answered: number;
  /** Connections closed with no answer: past http.conf `sessionlimit`, Asterisk closes them at once. */
  refused: number;
  /** Connections with no answer or close within the timeout. */
  unanswered: number;
}

/**
 * Asterisk does not show `sessionlimit` over ARI, so this tries it: opens `count` connections at once
 * (all in one tick, so none is reused), asks each for a ping, and holds every one open until all have
 * answered or been closed. Connections others hold (a running ari-meetme) count against the limit too.
 */
export async function probeSessions(options: SessionProbeOptions): Promise<SessionProbeResult> {
  const secure = options.url.startsWith('https:');
  const pool = { keepAlive: true, maxSockets: options.count, maxFreeSockets: options.count };
  const agent = secure ? new HttpsAgent(pool) : new HttpAgent(pool);
  const url = `${options.url.replace(/\/+$/, '')}/ari/asterisk/ping`;
  const authorization = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
  const requests: ClientRequest[] = [];
  const outcomes = Array.from(
    { length: options.count },
    () =>
      new Promise<keyof SessionProbeResult>((resolve) => {
        const request = (secure ? httpsRequest : httpRequest)(url, { agent, headers: { authorization } });
        requests.push(request);
        const timer = setTimeout(() => resolve('unanswered'), options.timeoutMs);
        request.on('response', (response) => {
          clearTimeout(timer);
          response.resume();
          resolve('answered');
        });
        request.on('error', () => {
          clearTimeout(timer);
          resolve('refused');
        });
        request.end();
      }),
  );
  try {
    const result: SessionProbeResult = { answered: 0, refused: 0, unanswered: 0 };
    for (const outcome of await Promise.all(outcomes)) result[outcome]++;
    return result;
  } finally {
    for (const request of requests) request.destroy();
    agent.destroy();
  }
}
