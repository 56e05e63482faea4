import type { Clock, TimerHandle } from '../lib/clock';
import { TypedEmitter } from '../lib/TypedEmitter';

/**
 * `connecting` until the first connection; `up`; `reconnecting` while the events socket is down (its callers
 * stay, the reconnect reconciles); `down` once it has been down for `downAfterMs` (its callers are let go).
 */
export type NodeState = 'connecting' | 'up' | 'reconnecting' | 'down' | 'stopped';

export interface NodeHealthEvents {
  /** The node has been unreachable for `downAfterMs`: what it held is lost. */
  lost: [];
  state: [state: NodeState];
}

/**
 * A node's state from its events socket. A node that flaps (drops and comes back within `downAfterMs`) never
 * goes `down`: only a drop that lasts does, so one lost packet over a WAN costs no caller their call.
 */
export class NodeHealth {
  readonly events = new TypedEmitter<NodeHealthEvents>();
  private current: NodeState = 'connecting';
  private changedAt: number;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly downAfterMs: number,
  ) {
    this.changedAt = clock.now();
  }

  get state(): NodeState {
    return this.current;
  }

  /** When the state last changed (ms on the clock). */
  get since(): number {
    return this.changedAt;
  }

  connected(): void {
    this.clearTimer();
    this.set('up');
  }

  disconnected(): void {
    if (this.current !== 'up') return;
    this.set('reconnecting');
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.set('down');
      this.events.safeEmit('lost');
    }, this.downAfterMs);
  }

  stopped(): void {
    this.clearTimer();
    this.set('stopped');
  }

  private clearTimer(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private set(state: NodeState): void {
    if (state === this.current) return;
    this.current = state;
    this.changedAt = this.clock.now();
    this.events.safeEmit('state', state);
  }
}
