import type { Redis } from 'ioredis';
import type { ClaimAnswer, ConferenceClaimPort } from '../app/claims';
import type { Logger } from '../lib/logger';
import { CLAIM, RELEASE_CLAIM } from './claimScripts';
import { claimKey, CLAIMS_SINCE_KEY, leaseKey } from './redisKeys';

/** A node lease this instance holds, to anchor a claim on, and where callers are sent to reach this instance there. */
export interface ClaimAnchor {
  node: string;
  token: number;
  redirectUri: string | undefined;
}

interface StoredClaim {
  instance: string;
  node: string;
  /** A string: Lua's numbers would print a 13-digit token in exponent notation. */
  token: string;
  redirect?: string;
}

export interface ConferenceClaimsOptions {
  redis: Redis;
  instance: string;
  /** The lease to anchor claims on now (the freshest held); undefined while this instance holds none. */
  anchor: () => ClaimAnchor | undefined;
  /** The numbers of the conferences this instance runs now (their claims are re-asserted every ttl/5). */
  live: () => string[];
  ttlMs: number;
  logger: Logger;
}

/** A claim taken for a caller who never got in (a wrong PIN) is let go after this long. */
const UNUSED_CLAIM_MS = 60_000;
/** How long Redis keeps a claim key: a dead holder's is harmless (its anchor is dead), this only bounds the litter. */
const KEEP_MS = 600_000;

/**
 * One holder per conference across instances: a conference runs only on the instance that holds its claim in
 * Redis, taken atomically (claimScripts.ts) before a caller is taken in or adopted and before the conference
 * opens. The claim is anchored on one of the holder's node leases and lapses with it, so the instance that takes
 * a dead holder's node (and adopts its callers) takes its conferences too. The holder re-asserts its claims every
 * ttl/5, on its freshest lease: that moves the anchor off a lease that stopped renewing before that lease's fence
 * closes, and writes the claims back into a Redis that restarted empty (new claims wait a ttl after a restart, so
 * a live holder's come back first).
 */
export class ConferenceClaims implements ConferenceClaimPort {
  /** Our claims as stored, and when each was last taken. */
  private readonly mine = new Map<string, { value: string; at: number }>();
  /** Numbers whose claim another instance holds although this one runs them: logged once each. */
  private readonly conflicts = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private keeping = false;

  constructor(private readonly options: ConferenceClaimsOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.keep(), Math.max(100, Math.round(this.options.ttlMs / 5)));
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * Takes `number`, or says who holds it. Waits (up to two ttls) while a restarted Redis settles, does not have our
   * own lease back yet (its next renewal writes it) or does not answer.
   */
  async claim(number: string): Promise<ClaimAnswer> {
    const until = Date.now() + this.options.ttlMs * 2;
    for (;;) {
      // A command that timed out (a loaded or far Redis) is tried again: only the deadline gives up.
      const [result, holder] = await this.run(number, 'new').catch((): [number, string] => [0, '']);
      if (result === 1) return { held: true };
      if (result === 0 && holder !== '') {
        const stored = JSON.parse(holder) as StoredClaim;
        return { held: false, holder: stored.instance, redirectUri: stored.redirect };
      }
      if (Date.now() > until || this.options.anchor() === undefined) return { held: false, holder: undefined, redirectUri: undefined };
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The conference ended here: its claim is let go if it is still ours. */
  release(number: string): void {
    const mine = this.mine.get(number);
    this.mine.delete(number);
    this.conflicts.delete(number);
    if (mine) void this.options.redis.eval(RELEASE_CLAIM, 1, claimKey(number), mine.value).catch(() => undefined);
  }

  private async run(number: string, mode: 'new' | 'assert'): Promise<[number, string]> {
    const { redis, instance, ttlMs } = this.options;
    const anchor = this.options.anchor();
    if (!anchor) return [0, ''];
    const stored: StoredClaim = {
      instance,
      node: anchor.node,
      token: String(anchor.token),
      ...(anchor.redirectUri !== undefined ? { redirect: anchor.redirectUri } : {}),
    };
    const value = JSON.stringify(stored);
    const answer = (await redis.eval(
      CLAIM,
      3,
      claimKey(number),
      CLAIMS_SINCE_KEY,
      leaseKey(anchor.node),
      value,
      instance,
      `${instance}:${anchor.token}`,
      leaseKey(''),
      ttlMs,
      KEEP_MS,
      mode,
    )) as [number, string];
    if (answer[0] === 1) this.mine.set(number, { value, at: mode === 'new' ? Date.now() : (this.mine.get(number)?.at ?? Date.now()) });
    return answer;
  }

  /** Re-asserts the claims of the conferences running here; lets go of those taken for callers who never got in. */
  private async keep(): Promise<void> {
    if (this.keeping) return;
    this.keeping = true;
    const live = new Set(this.options.live());
    for (const [number, mine] of this.mine) if (!live.has(number) && Date.now() - mine.at > UNUSED_CLAIM_MS) this.release(number);
    // All at once: ioredis pipelines them, so a thousand conferences cost one round trip, not a thousand.
    await Promise.all([...live].map((number) => this.reassert(number)));
    this.keeping = false;
  }

  private async reassert(number: string): Promise<void> {
    try {
      const [result, holder] = await this.run(number, 'assert');
      if (result !== 0 || holder === '' || this.conflicts.has(number)) return;
      this.conflicts.add(number);
      this.options.logger.error(
        { conference: number, holder: (JSON.parse(holder) as StoredClaim).instance },
        'conference claimed by another instance while this one runs it: its claim lapsed (its anchor lease was lost)',
      );
    } catch {
      // Redis unreachable: the node leases log it and their fences stop this instance; retried next time.
    }
  }
}
