import type { Participant } from './Participant';

export interface Exit {
  /** Out of the mix (what a moderator's kick waits for). */
  outOfMix: Promise<void>;
  /** Everything done: the goodbye prompt played and the caller hung up. */
  done: Promise<void>;
}

/**
 * A participant as their conference holds them, from the join to their last prompt: subscriptions to release,
 * their own sounds in order (a prompt on a channel stops its music, so one participant's sounds never overlap),
 * and how they left.
 */
export class Member {
  /** Releases the caller's `gone` subscription and the menus. */
  dispose: () => void = () => undefined;
  /** Whether `participant.joined` was said (so `participant.left` is said too). */
  announced = false;
  exit: Exit | undefined;
  /** Resolves once the participant has left and been let go. */
  readonly left: Promise<void>;
  private queue: Promise<void>;
  private openQueue: () => void = () => undefined;
  private settle: () => void = () => undefined;

  constructor(readonly participant: Participant) {
    // Sounds wait until the participant is in the mix.
    this.queue = new Promise<void>((resolve) => (this.openQueue = resolve));
    this.left = new Promise<void>((resolve) => (this.settle = resolve));
  }

  /** In the mix (or never going to be): queued sounds may run. */
  inMix(): void {
    this.openQueue();
  }

  /** Queues one of the participant's own sounds; skipped once they have left. `action` never rejects. */
  privately(action: () => Promise<void>): Promise<void> {
    const run = this.queue.then(() => (this.participant.left ? undefined : action()));
    this.queue = run;
    return run;
  }

  settled(): void {
    this.settle();
  }
}
