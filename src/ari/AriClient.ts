import { randomUUID } from 'node:crypto';
import type { Logger } from '../lib/logger';
import { TypedEmitter } from '../lib/TypedEmitter';
import { AriEvents, type AriEventsEvents } from './AriEvents';
import { AriTransport } from './AriTransport';
import { EventRouter, type EventHandler } from './EventRouter';
import type { AriEvent, StasisStart } from './generated/models';
import { createRest, type AriRest } from './generated/operations';

export interface AriClientOptions {
  url: string;
  username: string;
  password: string;
  app: string;
  nodeId?: string;
  requestTimeoutMs?: number;
  /** HTTP connections for REST at most (the events socket is one more); see AriTransport. Default 20. */
  maxConnections?: number;
  reconnect?: { minMs: number; maxMs: number };
  heartbeatMs?: number;
  /**
   * Called before every REST request and every events socket (re)open; throwing refuses it. A standby's lease
   * fence (src/ha) uses it so an instance that cannot prove its lease sends Asterisk nothing.
   */
  guard?: () => void;
  logger: Logger;
}

/** The client passes on what its events socket reports. */
export type AriClientEvents = AriEventsEvents;

export interface AriStats {
  reconnects: number;
  requestErrors: number;
  /** REST connections open now (Asterisk counts them, and the events socket, against `sessionlimit`). */
  connections: number;
  /** REST requests waiting for a free connection. */
  waitingRequests: number;
  eventsReceived: number;
  unparsableEvents: number;
  /** Event routes registered now (channels, bridges, playbacks, StasisStart handlers): flat unless a route leaks. */
  routes: number;
}

type Keyed = { channel?: { id: string }; bridge?: { id: string }; playback?: { id: string }; recording?: { name: string } };

/** One Asterisk server: typed REST, the events socket, and events routed to whoever owns the id. */
export class AriClient {
  readonly rest: AriRest;
  readonly events = new TypedEmitter<AriClientEvents>();
  readonly app: string;
  readonly nodeId: string;
  private readonly transport: AriTransport;
  private readonly socket: AriEvents;
  private readonly router: EventRouter;
  private readonly stasisStart = new Set<(event: StasisStart) => void>();
  private closed = false;

  constructor(private readonly options: AriClientOptions) {
    this.app = options.app;
    this.nodeId = options.nodeId ?? 'asterisk-1';
    this.router = new EventRouter(options.logger);
    this.transport = new AriTransport({
      url: options.url,
      username: options.username,
      password: options.password,
      requestTimeoutMs: options.requestTimeoutMs ?? 5000,
      maxConnections: options.maxConnections ?? 20,
      ...(options.guard ? { guard: options.guard } : {}),
    });
    this.transport.onError = (error) =>
      options.logger.debug({ status: error.ariStatus, method: error.method, path: error.path, reason: error.reason }, 'ARI request failed');
    this.rest = createRest(this.transport);
    this.socket = new AriEvents({
      url: options.url,
      username: options.username,
      password: options.password,
      app: options.app,
      reconnect: options.reconnect ?? { minMs: 250, maxMs: 10000 },
      heartbeatMs: options.heartbeatMs ?? 15000,
      ...(options.guard ? { guard: options.guard } : {}),
      logger: options.logger,
    });
    this.socket.on('event', (event) => this.route(event));
    this.socket.on('connected', (info) => this.events.safeEmit('connected', info));
    this.socket.on('disconnected', (info) => this.events.safeEmit('disconnected', info));
    this.socket.on('replaced', () => this.events.safeEmit('replaced'));
    this.socket.on('error', (error) => this.events.safeEmit('error', error));
  }

  get connected(): boolean {
    return this.socket.isOpen;
  }

  /** Opens the events socket; resolves on the first successful open and keeps retrying until then. */
  connect(): Promise<void> {
    if (this.socket.isOpen) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const dispose = this.events.subscribe('connected', () => {
        dispose();
        resolve();
      });
      this.socket.start();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
    this.transport.close();
  }

  private route(event: AriEvent): void {
    const keyed = event as unknown as Keyed;
    if (event.type === 'StasisStart') {
      for (const handler of [...this.stasisStart]) {
        try {
          handler(event);
        } catch (error) {
          this.options.logger.error({ err: error }, 'StasisStart handler threw');
        }
      }
    }
    if (keyed.channel?.id) this.router.dispatch(`c:${keyed.channel.id}`, event);
    if (keyed.bridge?.id) this.router.dispatch(`b:${keyed.bridge.id}`, event);
    if (keyed.playback?.id) this.router.dispatch(`p:${keyed.playback.id}`, event);
    if (keyed.recording?.name) this.router.dispatch(`r:${keyed.recording.name}`, event);
    this.events.safeEmit('event', event);
  }

  onChannel(channelId: string, handler: EventHandler): () => void {
    return this.router.add(`c:${channelId}`, handler);
  }

  onBridge(bridgeId: string, handler: EventHandler): () => void {
    return this.router.add(`b:${bridgeId}`, handler);
  }

  onPlayback(playbackId: string, handler: EventHandler): () => void {
    return this.router.add(`p:${playbackId}`, handler);
  }

  onRecording(name: string, handler: EventHandler): () => void {
    return this.router.add(`r:${name}`, handler);
  }

  onStasisStart(handler: (event: StasisStart) => void): () => void {
    this.stasisStart.add(handler);
    return () => this.stasisStart.delete(handler);
  }

  /** Ids are ours, chosen before creating anything (stage, then execute). */
  newId(prefix = ''): string {
    return `${prefix}${randomUUID()}`;
  }

  stats(): AriStats {
    return {
      reconnects: this.socket.reconnects,
      requestErrors: this.transport.errors,
      connections: this.transport.connections,
      waitingRequests: this.transport.waiting,
      eventsReceived: this.socket.received,
      unparsableEvents: this.socket.unparsable,
      routes: this.router.size + this.stasisStart.size,
    };
  }
}
