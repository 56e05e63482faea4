import type { FastifyInstance } from 'fastify';
import { hostname } from 'node:os';
import { MeetmeApp } from '../app/App';
import { createApi } from '../app/api';
import type { Config } from '../config/schema';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { HaStatus } from './HaStatus';
import { DEFAULT_LEASE_TIMINGS, NodeLease } from './NodeLease';
import { connectRedis } from './redis';

/**
 * One instance of several for a node: the API always answers; the node's runtime (ARI, media threads) runs
 * only while this instance holds the node's lease. Taking the lease starts a fresh runtime, which adopts the
 * callers and rooms it finds in Asterisk as a restarted app does (src/app/Recovery.ts); losing it abandons the
 * runtime without touching Asterisk, and the instance stands by again with a new one, not started.
 */
export class ActiveStandby {
  readonly instance: string;
  readonly lease: NodeLease;
  private readonly redis;
  private app: MeetmeApp;
  private api: FastifyInstance | undefined;
  /** Takeovers and losses run one after the other. */
  private chain: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(
    private readonly config: Readonly<Config>,
    private readonly logger: Logger,
  ) {
    const ha = config.ha;
    this.instance = ha.instanceId ?? `${hostname()}-${process.pid}`;
    const ttlMs = ha.leaseTtlMs;
    const timings = { ...DEFAULT_LEASE_TIMINGS, ttlMs, renewMs: Math.round(ttlMs / 5), pollMs: Math.round(ttlMs / 10) };
    this.redis = connectRedis(ha.redisUrl ?? 'redis://127.0.0.1:6379', Math.max(100, Math.round(ttlMs / 5)));
    this.lease = new NodeLease(this.redis, config.ari.nodeId, this.instance, logger.child({ component: 'ha' }), timings);
    this.app = this.newApp();
    this.lease.events.on('acquired', () => this.serially(() => this.takeOver()));
    this.lease.events.on('lost', () => this.serially(() => this.standBy()));
  }

  /** The app that answers the API now: active, or standing by (not started). */
  get current(): MeetmeApp {
    return this.app;
  }

  status(): HaStatus {
    const token = this.lease.currentToken ?? null;
    return {
      instance: this.instance,
      role: token !== null ? 'active' : 'standby',
      nodes: [{ node: this.lease.node, active: this.lease.holder ?? null, token }],
    };
  }

  async start(): Promise<void> {
    await this.listen();
    this.logger.info({ instance: this.instance, node: this.lease.node }, 'standing by for the node lease');
    this.lease.start();
  }

  /**
   * A clean stop hands the node over: the runtime lets go without ending anything and the lease is released,
   * so a standby adopts the conferences at once.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.chain;
    const wasActive = this.lease.held;
    await this.app.abandon();
    await this.lease.stop();
    if (wasActive) this.logger.info({ node: this.lease.node }, 'lease released: a standby takes the conferences over');
    await this.api?.close();
    this.redis.disconnect();
  }

  private newApp(): MeetmeApp {
    return new MeetmeApp({ config: this.config, logger: this.logger, fence: this.lease.fence });
  }

  private async listen(): Promise<void> {
    this.api = await createApi(this.app, this.config, this.logger, { ha: () => this.status() });
    await this.api.listen({ host: this.config.http.host, port: this.config.http.port });
  }

  private serially(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((error: unknown) => this.logger.error({ err: errorMessage(error) }, 'HA step failed'));
  }

  private async takeOver(): Promise<void> {
    if (this.stopping || !this.lease.held) return;
    const app = this.app;
    // ari.connect() resolves only once connected; a lease lost meanwhile abandons the app, so it is not awaited.
    app.start().catch((error: unknown) => this.logger.error({ err: errorMessage(error) }, 'starting the node runtime failed'));
  }

  private async standBy(): Promise<void> {
    if (this.stopping) return;
    await this.app.abandon();
    await this.api?.close();
    this.app = this.newApp();
    await this.listen();
  }
}
