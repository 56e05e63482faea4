import WebSocket from 'ws';
import type { Logger } from '../lib/logger';
import { TypedEmitter } from '../lib/TypedEmitter';
import { AriError } from './AriError';
import type { AriEvent } from './generated/models';

export interface AriEventsOptions {
  url: string;
  username: string;
  password: string;
  app: string;
  reconnect: { minMs: number; maxMs: number };
  /** A socket that answers no ping within this time is considered dead (a silent TCP loss). */
  heartbeatMs: number;
  logger: Logger;
  /** Throws to refuse opening the socket (AriClientOptions.guard); the socket tries again later. */
  guard?: () => void;
}

export interface AriEventsEvents {
  event: [event: AriEvent];
  connected: [info: { reconnect: boolean }];
  disconnected: [info: { code: number; reason: string }];
  replaced: [];
  error: [error: AriError];
}

/**
 * The events WebSocket, kept open: reconnects with exponential backoff and jitter until closed.
 * Asterisk queues nothing while we are away, so `connected {reconnect:true}` tells the app to reconcile.
 */
export class AriEvents extends TypedEmitter<AriEventsEvents> {
  private socket: WebSocket | undefined;
  private closed = false;
  private everConnected = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private alive = true;
  isOpen = false;
  reconnects = 0;
  received = 0;
  unparsable = 0;

  constructor(private readonly options: AriEventsOptions) {
    super();
  }

  start(): void {
    if (this.closed || this.socket) return;
    try {
      this.options.guard?.();
    } catch {
      // Refused for now (no lease): try again as after a failed connect.
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.start();
      }, this.options.reconnect.minMs);
      return;
    }
    const base = this.options.url.replace(/^http/, 'ws').replace(/\/+$/, '');
    const url = `${base}/ari/events?app=${encodeURIComponent(this.options.app)}&subscribeAll=false`;
    const auth = Buffer.from(`${this.options.username}:${this.options.password}`).toString('base64');
    const socket = new WebSocket(url, { headers: { authorization: `Basic ${auth}` }, handshakeTimeout: 10000 });
    this.socket = socket;
    socket.on('open', () => this.onOpen(socket));
    socket.on('message', (data) => this.onMessage(data));
    socket.on('pong', () => {
      this.alive = true;
    });
    socket.on('unexpected-response', (_request, response) => {
      const status = response.statusCode ?? 0;
      const error = new AriError(status, 'GET', '/events', `events socket refused (${status})`);
      this.options.logger.error(
        { status },
        status === 401 ? 'ARI refused our credentials: check ari.conf and ARI_USERNAME/ARI_PASSWORD' : 'ARI refused the events socket',
      );
      this.safeEmit('error', error);
      response.resume();
      socket.terminate();
    });
    socket.on('error', (error) => {
      this.options.logger.debug({ err: error }, 'events socket error');
    });
    socket.on('close', (code, reason) => this.onClose(socket, code, reason.toString()));
  }

  private onOpen(socket: WebSocket): void {
    if (socket !== this.socket) return;
    const reconnect = this.everConnected;
    if (reconnect) this.reconnects++;
    this.everConnected = true;
    this.attempt = 0;
    this.isOpen = true;
    this.alive = true;
    this.heartbeat = setInterval(() => {
      if (!this.alive) {
        this.options.logger.warn('events socket answered no ping: reconnecting');
        socket.terminate();
        return;
      }
      this.alive = false;
      socket.ping();
    }, this.options.heartbeatMs);
    this.options.logger.info({ reconnect }, 'ARI events socket connected');
    this.safeEmit('connected', { reconnect });
  }

  private onMessage(data: WebSocket.RawData): void {
    let event: AriEvent;
    try {
      const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
      event = JSON.parse(text) as AriEvent;
      if (typeof event !== 'object' || event === null || typeof event.type !== 'string') throw new Error('no type');
    } catch {
      this.unparsable++;
      return;
    }
    this.received++;
    if (event.type === 'ApplicationReplaced') {
      // Another connection took the app: the old socket stays open but gets nothing more (FINDINGS).
      this.options.logger.error('another client registered our Stasis app; this instance gets no more events');
      this.safeEmit('replaced');
    }
    this.safeEmit('event', event);
  }

  private onClose(socket: WebSocket, code: number, reason: string): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    const wasOpen = this.isOpen;
    this.isOpen = false;
    if (wasOpen) {
      this.options.logger.warn({ code, reason }, 'ARI events socket closed');
      this.safeEmit('disconnected', { code, reason });
    }
    if (this.closed) return;
    const { minMs, maxMs } = this.options.reconnect;
    const delay = Math.min(maxMs, minMs * 2 ** this.attempt) * (0.5 + Math.random() / 2);
    this.attempt = Math.min(this.attempt + 1, 16);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.start();
    }, delay);
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    const socket = this.socket;
    this.socket = undefined;
    this.isOpen = false;
    socket?.removeAllListeners('unexpected-response');
    socket?.on('error', () => undefined);
    socket?.terminate();
  }
}
