import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { Asterisk } from './Asterisk';
import { AriFault } from './errors';
import { ROUTES, type RestRequest } from './routes';
import { SimCaller } from './SimCaller';
import type { DBridge, DChannel } from './model';

export interface DoubleOptions {
  timing?: boolean;
  username?: string;
  password?: string;
  /** More ari.conf users, name -> password (Asterisk takes any of its users); each request is logged with its user. */
  users?: Record<string, string>;
  speed?: number;
  talkFinishMs?: number;
  /**
   * http.conf `sessionlimit`: open HTTP connections, the events WebSockets included. Beyond it Asterisk
   * closes a new connection at once, before any answer (FINDINGS "HTTP session limit"). Default 100, as Asterisk's.
   */
  sessionLimit?: number;
  /** `system.version` in GET /asterisk/info; default 22.10.1, the recorded one. */
  version?: string;
  /** The HTTP port (default 0: any free one); an Asterisk started again on its old port. */
  port?: number;
}

/** What the HTTP server saw of connections: as `http show status` and the "session count exceeded" warnings would tell. */
export interface SessionStats {
  open: number;
  peak: number;
  /** Connections closed at once because `open` had reached the limit. */
  refused: number;
}

export interface LoggedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  status: number;
  /** The ari.conf user the request came as. */
  user: string;
}

export interface DialOptions {
  exten: string;
  callerId?: string;
  /** Stasis arguments; default `[exten]`, as `Stasis(meetme,${EXTEN})` gives. */
  args?: string[];
  app?: string;
  toneHz?: number | null;
  amplitude?: number;
  /** Keep what the caller hears, for `heard()` (default true). */
  keepAudio?: boolean;
  /** The phone sends RTP all the time, silence too (default); false: nothing unless it speaks a tone. */
  sendsRtp?: boolean;
  /** The phone negotiated G.722 (its CHANNEL(audionativeformat) is "(g722)"). */
  wideband?: boolean;
}

const API_DOCS = join(__dirname, '../../src/ari/api-docs');
const ROUTE_TABLE = Object.entries(ROUTES).map(([key, handler]) => {
  const [method, path] = key.split(' ') as [string, string];
  const names: string[] = [];
  const pattern = new RegExp(`^${path.replace(/\{(\w+)\}/g, (_m, name: string) => (names.push(name), '([^/]+)'))}$`);
  return { method, pattern, names, handler, path };
});

/** `user:password` from a Basic authorization header. */
function basicUser(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Basic ') === true ? Buffer.from(header.slice(6), 'base64').toString() : undefined;
}

/** An Asterisk 22 stand-in on 127.0.0.1, port 0, speaking ARI as the recorded transcripts show. */
export class AsteriskDouble {
  readonly asterisk: Asterisk;
  readonly requests: LoggedRequest[] = [];
  private server!: Server;
  private wss!: WebSocketServer;
  private readonly sockets = new Map<string, WebSocket>();
  private readonly username: string;
  private readonly password: string;
  private readonly users: Record<string, string>;
  private readonly sessionLimit: number;
  private readonly sessionStats: SessionStats = { open: 0, peak: 0, refused: 0 };
  /** Asterisk's log lines about HTTP sessions ("HTTP session count exceeded 100 sessions."). */
  readonly httpLog: string[] = [];
  url = '';
  private readonly port: number;

  private constructor(options: DoubleOptions) {
    this.port = options.port ?? 0;
    this.username = options.username ?? 'asterisk';
    this.password = options.password ?? 'asterisk';
    this.users = options.users ?? {};
    this.sessionLimit = options.sessionLimit ?? 100;
    this.asterisk = new Asterisk({
      timing: options.timing ?? true,
      speed: options.speed ?? 1,
      talkFinishMs: options.talkFinishMs ?? 2500,
      version: options.version ?? '22.10.1',
    });
    this.asterisk.deliver = (app, event) => {
      const socket = this.sockets.get(app);
      if (socket && socket.readyState === socket.OPEN) socket.send(JSON.stringify(event));
    };
  }

  static async start(options: DoubleOptions = {}): Promise<AsteriskDouble> {
    const double = new AsteriskDouble(options);
    await double.listen();
    return double;
  }

  private async listen(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => this.countSession(socket));
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const reject = (status: number, body: string, type: string): void => {
        socket.end(
          `HTTP/1.1 ${status} ${status === 401 ? 'Unauthorized' : 'Bad Request'}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      };
      if (url.pathname !== '/ari/events') return reject(400, '<html>Not an events socket</html>', 'text/html');
      if (!this.authorized(req, url))
        return reject(
          401,
          JSON.stringify({ message: 'Authentication required' }),
          'application/json\r\nWWW-Authenticate: Basic realm="Asterisk REST Interface"',
        );
      const app = url.searchParams.get('app');
      if (!app || !app.split(',').some(Boolean)) return reject(400, '<html><body>Missing app</body></html>', 'text/html');
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const names = app.split(',').filter(Boolean);
        for (const name of names) {
          const previous = this.sockets.get(name);
          // The older socket stays open but gets nothing more (FINDINGS "Events socket").
          if (previous && previous !== ws)
            previous.send(JSON.stringify({ type: 'ApplicationReplaced', application: name, timestamp: new Date().toISOString() }));
          this.sockets.set(name, ws);
          this.asterisk.registered.add(name);
        }
        ws.on('close', () => {
          for (const name of names) if (this.sockets.get(name) === ws) this.sockets.delete(name);
        });
      });
    });
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** http.c counts a session per accepted connection and refuses past the limit with no answer at all. */
  private countSession(socket: Socket): void {
    const stats = this.sessionStats;
    if (stats.open >= this.sessionLimit) {
      stats.refused++;
      this.httpLog.push(`WARNING: http.c: HTTP session count exceeded ${this.sessionLimit} sessions.`);
      socket.destroy();
      return;
    }
    stats.open++;
    stats.peak = Math.max(stats.peak, stats.open);
    // An upgraded events socket keeps its TCP connection, so it holds its session until it closes.
    socket.once('close', () => stats.open--);
  }

  sessions(): SessionStats {
    return { ...this.sessionStats };
  }

  private authorized(req: IncomingMessage, url: URL): boolean {
    const accepted = new Set([`${this.username}:${this.password}`, ...Object.entries(this.users).map(([u, p]) => `${u}:${p}`)]);
    // A wrong api_key fails even alongside good Basic credentials (errors.jsonl).
    const key = url.searchParams.get('api_key');
    if (key !== null) return accepted.has(key);
    return accepted.has(basicUser(req) ?? '');
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}): void => {
      if (Buffer.isBuffer(body)) {
        res.writeHead(status, { 'content-type': 'audio/wav', 'content-length': String(body.length), ...headers });
        return void res.end(body);
      }
      res.writeHead(status, body === undefined ? headers : { 'content-type': 'application/json', ...headers });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (!url.pathname.startsWith('/ari/')) return send(404, { message: 'Resource not found' });
    if (!this.authorized(req, url))
      return send(401, { message: 'Authentication required' }, { 'www-authenticate': 'Basic realm="Asterisk REST Interface"' });
    const path = url.pathname.slice(4);
    if (req.method === 'GET' && path.startsWith('/api-docs/')) {
      try {
        return send(200, JSON.parse(readFileSync(join(API_DOCS, path.slice('/api-docs/'.length)), 'utf8')));
      } catch {
        return send(404, { message: 'Resource not found' });
      }
    }
    const text = await new Promise<string>((resolve) => {
      let data = '';
      req.on('data', (chunk: Buffer) => (data += chunk.toString()));
      req.on('end', () => resolve(data));
    });
    let body: Record<string, unknown> | undefined;
    if (text) {
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        return this.log(req, path, url, text, 400, send, { message: 'Error parsing request body' });
      }
    }
    const candidates = ROUTE_TABLE.filter((r) => r.pattern.test(path));
    if (candidates.length === 0) return this.log(req, path, url, body, 404, send, { message: 'Resource not found' });
    const route = candidates.find((r) => r.method === req.method);
    if (!route) return this.log(req, path, url, body, 405, send, { message: 'Invalid method' });
    const match = route.pattern.exec(path) ?? [];
    const params = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? '')]));
    const request: RestRequest = { method: route.method, params, query: url.searchParams, body, app: () => undefined };
    try {
      const reply = await route.handler(this.asterisk, request);
      this.log(req, path, url, body, reply.status, send, reply.body);
    } catch (error) {
      if (error instanceof AriFault) return this.log(req, path, url, body, error.status, send, error.body());
      this.log(req, path, url, body, 500, send, { message: String(error) });
    }
  }

  private log(
    req: IncomingMessage,
    path: string,
    url: URL,
    body: unknown,
    status: number,
    send: (s: number, b?: unknown) => void,
    reply: unknown,
  ): void {
    const user = (url.searchParams.get('api_key') ?? basicUser(req) ?? '').split(':')[0] ?? '';
    this.requests.push({ method: req.method ?? '', path, query: Object.fromEntries(url.searchParams), body, status, user });
    send(status, reply);
  }

  /** A caller dials a conference number: the shipped dialplan hands it to Stasis(meetme,${EXTEN}). */
  dial(options: DialOptions): SimCaller {
    const a = this.asterisk;
    const id = a.newChannelId();
    const [name, number] = (options.callerId ?? 'Caller <1000>').replace(/>$/, '').split(/\s*</);
    const c = a.createChannel({
      id,
      name: `PJSIP/${(name ?? 'caller').toLowerCase().replace(/\W/g, '')}-${id.replace('.', '')}`,
      state: 'Ring',
      caller: { name: name ?? '', number: number ?? '' },
      dialplan: { context: 'conferences', exten: options.exten, priority: 2, app_name: '', app_data: '' },
      fromDialplan: true,
    });
    const sim = new SimCaller(a, c, options.toneHz ?? null, options.amplitude ?? 8000);
    sim.keepsAudio = options.keepAudio ?? true;
    sim.sendsRtp = options.sendsRtp ?? true;
    sim.wideband = options.wideband ?? false;
    c.sim = sim;
    a.enterStasis(c, options.app ?? 'meetme', options.args ?? [options.exten]);
    return sim;
  }

  channel(id: string): DChannel | undefined {
    return this.asterisk.channels.get(id);
  }

  bridge(id: string): DBridge | undefined {
    return this.asterisk.bridges.get(id);
  }

  channels(): DChannel[] {
    return [...this.asterisk.channels.values()];
  }

  bridges(): DBridge[] {
    return [...this.asterisk.bridges.values()];
  }

  /**
   * Where Asterisk sent each redirected caller (chan_pjsip: a 302 before the answer, a REFER after): the SIP front
   * (Kamailio) routes the call there, as a listener here can do with another double's `dial`.
   */
  onRedirect(listener: (channel: DChannel, target: string) => void): void {
    this.asterisk.redirected = listener;
  }

  setModule(name: string, loaded: boolean): void {
    this.asterisk.setModule(name, loaded);
  }

  /** Drops every events socket abruptly, as a network failure would. */
  dropEventSockets(): void {
    for (const socket of this.wss.clients) socket.terminate();
    this.sockets.clear();
  }

  async stop(): Promise<void> {
    this.asterisk.close();
    for (const socket of this.wss.clients) socket.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
