import type { FastifyInstance } from 'fastify';
import { hostname } from 'node:os';
import { MeetmeApp, type AppDeps } from '../app/App';
import { createApi } from '../app/api';
import { nodeSettings, type NodeSettings } from '../cluster/nodes';
import type { Config } from '../config/schema';
import { AppError, errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { HaStatus } from './HaStatus';
import { DEFAULT_LEASE_TIMINGS, NodeLease } from './NodeLease';
import { ConferenceClaims } from './ConferenceClaims';
import { ConferenceFanout } from './ConferenceFanout';
import { connectRedis, connectSubscriber } from './redis';

/**
 * One of several instances for the same Asterisk nodes: the app and its API always run; each node joins the app
 * only while this instance holds the node's lease. Taking a lease adds the node (it connects and adopts the
 * callers and rooms it finds in Asterisk, as a restarted app does: src/app/Recovery.ts); losing it removes the
 * node without asking its Asterisk anything, and the instance stands by for that node again.
 */
export class ActiveStandby {
  readonly instance: string;
  readonly app: MeetmeApp;
  private readonly leases = new Map<string, NodeLease>();
  private readonly redis;
  /** The media threads' one deadline: the latest of the node leases' (a lost node's rooms are removed with it). */
  private readonly sendDeadline = new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT);
  private api: FastifyInstance | undefined;
  private readonly fanout: ConferenceFanout;
  private readonly claims: ConferenceClaims;
  /** Each node's joins and removals run one after the other. */
  private readonly chains = new Map<string, Promise<void>>();
  private stopping = false;

  constructor(
    private readonly config: Readonly<Config>,
    private readonly logger: Logger,
    store?: AppDeps['shared'],
  ) {
    const ha = config.ha;
    this.instance = ha.instanceId ?? `${hostname()}-${process.pid}`;
    const ttlMs = ha.leaseTtlMs;
    const timings = { ...DEFAULT_LEASE_TIMINGS, ttlMs, renewMs: Math.round(ttlMs / 5), pollMs: Math.round(ttlMs / 10) };
    this.redis = connectRedis(ha.redisUrl ?? 'redis://127.0.0.1:6379', Math.max(100, Math.round(ttlMs / 5)));
    const log = logger.child({ component: 'ha' });
    const shared = new Float64Array(this.sendDeadline);
    const changed = (): void => {
      shared[0] = Math.max(0, ...[...this.leases.values()].map((l) => l.fence.until));
    };
    const settingsOf = new Map(nodeSettings(config).map((s) => [s.id, s]));
    this.claims = new ConferenceClaims({
      redis: this.redis,
      instance: this.instance,
      // The freshest lease held: a lease that stops renewing falls behind the others within one renewal, long before
      // its fence closes, so the claim moves off it while it is still ours (a Redis outage closes every fence at once).
      anchor: () => {
        const held = [...this.leases.values()].filter((l) => l.held).sort((x, y) => y.fence.until - x.fence.until);
        const lease = held[0];
        const token = lease?.currentToken;
        if (!lease || token === undefined) return undefined;
        const redirectUri = [lease, ...held].map((l) => settingsOf.get(l.node)?.redirectUri).find((uri) => uri !== undefined);
        return { node: lease.node, token, redirectUri };
      },
      live: () => this.app.manager.list().map((c) => c.number),
      ttlMs,
      logger: log,
    });
    for (const settings of nodeSettings(config)) {
      const lease = new NodeLease(this.redis, settings.id, this.instance, log, timings, changed);
      lease.events.on('acquired', () => this.serially(settings.id, () => this.join(settings)));
      lease.events.on('lost', () => this.serially(settings.id, () => this.leave(settings.id)));
      this.leases.set(settings.id, lease);
    }
    this.app = new MeetmeApp({
      config,
      logger,
      ...(store ? { shared: store } : {}),
      claims: this.claims,
      fence: {
        guard: (node) => {
          const lease = this.leases.get(node);
          if (!lease) throw new AppError('lease_not_held', `node ${node} has no lease`, { node });
          lease.fence.guard();
        },
        sendDeadline: this.sendDeadline,
      },
    });
    const { host, port } = config.http;
    this.fanout = new ConferenceFanout({
      redis: this.redis,
      subscriber: connectSubscriber(ha.redisUrl ?? 'redis://127.0.0.1:6379'),
      instance: this.instance,
      // Port 0 (tests) is only known once listening: start() fills it in before anything is published.
      apiUrl: () => ha.apiUrl ?? `http://${host === '0.0.0.0' || host === '::' ? hostname() : host}:${this.port ?? port}`,
      control: this.app.manager,
      active: () => [...this.leases.values()].some((l) => l.held),
      ttlMs,
      logger: log,
    });
  }

  private get port(): number | undefined {
    const address = this.api?.server.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  status(): HaStatus {
    const nodes = [...this.leases.values()].map((l) => ({ node: l.node, active: l.holder ?? null, token: l.currentToken ?? null }));
    return { instance: this.instance, role: nodes.some((n) => n.token !== null) ? 'active' : 'standby', nodes };
  }

  async start(): Promise<void> {
    this.api = await createApi(this.app, this.config, this.logger, { ha: () => this.status(), shared: this.fanout });
    await this.api.listen({ host: this.config.http.host, port: this.config.http.port });
    await this.fanout.start();
    await this.app.start();
    this.app.manager.events.on('event', (event) => {
      if (event.type === 'conference.ended') this.claims.release(event.number);
    });
    this.claims.start();
    this.logger.info({ instance: this.instance, nodes: [...this.leases.keys()] }, 'standing by for the node lease');
    for (const lease of this.leases.values()) lease.start();
  }

  /**
   * A clean stop hands every node over: it leaves the app without anything ended in Asterisk and its lease is
   * released, so a standby adopts the conferences at once.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.chains.values());
    for (const [id, lease] of this.leases) {
      const wasActive = lease.held;
      if (this.app.cluster.get(id)) await this.app.removeNode(id, 'handed over to a standby');
      await lease.stop();
      if (wasActive) this.logger.info({ node: id }, 'lease released: a standby takes the conferences over');
    }
    await this.app.stop('instance stopping');
    this.claims.stop();
    this.fanout.stop();
    await this.api?.close();
    this.redis.disconnect();
  }

  private serially(node: string, step: () => Promise<void>): void {
    const next = (this.chains.get(node) ?? Promise.resolve())
      .then(step)
      .catch((error: unknown) => this.logger.error({ node, err: errorMessage(error) }, 'HA step failed'));
    this.chains.set(node, next);
  }

  private async join(settings: NodeSettings): Promise<void> {
    if (this.stopping || !this.leases.get(settings.id)?.held || this.app.cluster.get(settings.id)) return;
    // addNode resolves once the node is connected; a lease lost meanwhile removes it, so it is not awaited.
    this.app
      .addNode(settings)
      .catch((error: unknown) => this.logger.error({ node: settings.id, err: errorMessage(error) }, 'taking the node over failed'));
  }

  private async leave(node: string): Promise<void> {
    if (this.app.cluster.get(node)) await this.app.removeNode(node, 'lease lost: another instance takes the node');
  }
}
