import { AppError } from '../lib/errors';
import { monotonicNow } from '../media';

/**
 * The local side of a lease: the moment (on the media threads' `monotonicNow` scale) until which this instance
 * may act for its node. Every ARI request (AriClientOptions.guard) and every media tick (the shared deadline)
 * checks it, so an instance frozen past it, or cut off from Redis, sends Asterisk nothing once it resumes, before
 * any of its own code has run. The deadline is only ever set from a renewal's start, so it ends before Redis's.
 */
export class LeaseFence {
  readonly sendDeadline = new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT);
  private readonly deadline = new Float64Array(this.sendDeadline);

  /** `changed` runs after every move of the deadline (the media threads share one deadline for every node). */
  constructor(
    readonly node: string,
    private readonly changed: () => void = () => undefined,
  ) {
    this.deadline[0] = 0;
  }

  get until(): number {
    return this.deadline[0] as number;
  }

  get open(): boolean {
    return monotonicNow() < this.until;
  }

  /** Moves the deadline on; never back, so a late answer to an older renewal cannot shorten a newer one. */
  extend(until: number): void {
    if (until > this.until) this.deadline[0] = until;
    this.changed();
  }

  revoke(): void {
    this.deadline[0] = 0;
    this.changed();
  }

  /** AriClientOptions.guard. */
  readonly guard = (): void => {
    if (!this.open) throw new AppError('lease_not_held', `this instance holds no current lease for node ${this.node}`, { node: this.node });
  };
}
