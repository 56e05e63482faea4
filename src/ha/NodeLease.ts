import type { Redis } from 'ioredis';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { TypedEmitter } from '../lib/TypedEmitter';
import { monotonicNow } from '../media';
import { LeaseFence } from './LeaseFence';
import { ACQUIRE, RELEASE, RENEW } from './leaseScripts';
import { fenceKey, leaseKey } from './redisKeys';

export interface LeaseTimings {
  /** How long Redis keeps a lease without a renewal: a dead holder's node is free after this. */
  ttlMs: number;
  /** How often the holder renews, and a standby tries to take a free lease. */
  renewMs: number;
  pollMs: number;
  /**
   * Taken off the local deadline (beside 10% of the ttl for clocks running at different rates): the holder stops
   * acting this long before Redis could give its lease to a standby.
   */
  marginMs: number;
}

export const DEFAULT_LEASE_TIMINGS: LeaseTimings = { ttlMs: 2000, renewMs: 400, pollMs: 200, marginMs: 100 };

/** Why a holder stopped acting: its lease went to another instance, or it could not prove it was still its own. */
export type LossReason = 'superseded' | 'expired' | 'redis_unreachable';

export interface NodeLeaseEvents extends Record<string, unknown[]> {
  acquired: [token: number];
  lost: [reason: LossReason];
}

/**
 * One Asterisk node's lease in Redis: at most one instance holds it, with a fencing token above every earlier
 * holder's. The holder renews it; the fence closes on its own at the local deadline, before Redis could let
 * anyone else take the node, so no check of ours ever needs to run for the holder to stop.
 */
export class NodeLease {
  readonly events = new TypedEmitter<NodeLeaseEvents>();
  readonly fence: LeaseFence;
  private token: number | undefined;
  /** The instance Redis last named as holder (for /readyz), ours included. */
  private seenHolder: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastRun = 0;
  private stopped = false;
  private redisDown = false;

  constructor(
    private readonly redis: Redis,
    readonly node: string,
    readonly instance: string,
    private readonly log: Logger,
    private readonly timings: LeaseTimings = DEFAULT_LEASE_TIMINGS,
    fenceChanged?: () => void,
  ) {
    this.fence = new LeaseFence(node, fenceChanged);
  }

  get held(): boolean {
    return this.token !== undefined && this.fence.open;
  }

  get currentToken(): number | undefined {
    return this.held ? this.token : undefined;
  }

  /** `<instance>:<token>` while held: what fenced writes compare against. */
  get value(): string | undefined {
    return this.held ? `${this.instance}:${this.token}` : undefined;
  }

  get holder(): string | undefined {
    return this.held ? this.instance : this.seenHolder;
  }

  start(): void {
    this.schedule(0);
  }

  /** Gives the lease up (a clean stop): a standby takes the node at once instead of after the ttl. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const value = this.value;
    this.token = undefined;
    this.fence.revoke();
    if (value !== undefined) await this.redis.eval(RELEASE, 1, leaseKey(this.node), value).catch(() => undefined);
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.run(), delay);
  }

  private async run(): Promise<void> {
    const started = monotonicNow();
    const gap = this.lastRun === 0 ? 0 : started - this.lastRun;
    this.lastRun = started;
    try {
      const reached = this.token === undefined ? (await this.tryAcquire(started), true) : await this.renew(started, gap);
      // A loss found before asking Redis says nothing of Redis: the outage is logged once, and its end once.
      if (reached && this.redisDown) this.log.info({ node: this.node }, 'Redis reachable again');
      if (reached) this.redisDown = false;
    } catch (error) {
      if (!this.redisDown)
        this.log.warn({ node: this.node, err: errorMessage(error) }, 'Redis unreachable: the lease cannot be renewed or taken');
      this.redisDown = true;
      if (this.token !== undefined && !this.fence.open) this.lose('redis_unreachable');
    }
    this.schedule(this.token === undefined ? this.timings.pollMs : this.timings.renewMs);
  }

  private deadline(started: number): number {
    const { ttlMs, marginMs } = this.timings;
    return started + ttlMs * 0.9 - marginMs;
  }

  private async tryAcquire(started: number): Promise<void> {
    const [taken, result] = (await this.redis.eval(
      ACQUIRE,
      2,
      leaseKey(this.node),
      fenceKey(this.node),
      this.instance,
      this.timings.ttlMs,
    )) as [number, string | number];
    if (taken !== 1) {
      this.seenHolder = String(result).split(':')[0];
      return;
    }
    this.token = Number(result);
    this.seenHolder = this.instance;
    this.fence.extend(this.deadline(started));
    this.log.info({ node: this.node, token: this.token }, 'lease taken: this instance is active for the node');
    this.events.safeEmit('acquired', this.token);
  }

  /** False when the lease was lost before Redis was asked. */
  private async renew(started: number, gap: number): Promise<boolean> {
    if (!this.fence.open) {
      // The deadline passed before this renewal could even start: the process was frozen or starved.
      this.lose(gap > this.timings.ttlMs ? 'expired' : 'redis_unreachable');
      return false;
    }
    const kept = (await this.redis.eval(
      RENEW,
      2,
      leaseKey(this.node),
      fenceKey(this.node),
      `${this.instance}:${this.token}`,
      this.timings.ttlMs,
      String(this.token),
    )) as number;
    if (kept === 1) this.fence.extend(this.deadline(started));
    else this.lose('superseded');
    return true;
  }

  private lose(reason: LossReason): void {
    const token = this.token;
    this.token = undefined;
    this.seenHolder = undefined;
    this.fence.revoke();
    const why = {
      superseded: 'another instance holds the lease now',
      expired: 'this process was frozen past its lease',
      redis_unreachable: 'Redis could not confirm the lease in time',
    }[reason];
    this.log.error({ node: this.node, token, reason }, `lease lost (${why}): stopped acting for the node, standing by`);
    this.events.safeEmit('lost', reason);
  }
}
