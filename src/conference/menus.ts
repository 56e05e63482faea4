import type { Clock, TimerHandle } from '../lib/clock';

/** Every action a menu digit sequence can run; the config schema takes its names from here. */
export const MENU_ACTIONS = [
  'toggleMute',
  'listenDown',
  'listenUp',
  'talkDown',
  'talkUp',
  'leave',
  'toggleLock',
  'kickLast',
  'kickAll',
  'muteAll',
  'toggleRecording',
  'toggleRecordingPause',
  'participantCount',
] as const;

export type MenuAction = (typeof MENU_ACTIONS)[number];

/** Digit sequences typed after `*`, per role. */
export interface MenuConfig {
  user: Readonly<Record<string, MenuAction>>;
  admin: Readonly<Record<string, MenuAction>>;
  /** An unfinished sequence is dropped after this long without a digit. */
  timeoutMs: number;
}

/** MeetMe's menus; admins' `8` opens the extended codes *82, *83, *84 (and ours, *85); `5` is ours (ConfBridge's participant_count). */
export const DEFAULT_MENUS: MenuConfig = Object.freeze<MenuConfig>({
  user: { '1': 'toggleMute', '4': 'listenDown', '5': 'participantCount', '6': 'listenUp', '7': 'talkDown', '9': 'talkUp', '8': 'leave' },
  admin: {
    '1': 'toggleMute',
    '2': 'toggleLock',
    '3': 'kickLast',
    '4': 'listenDown',
    '5': 'participantCount',
    '6': 'listenUp',
    '7': 'talkDown',
    '9': 'talkUp',
    '82': 'kickAll',
    '83': 'muteAll',
    '84': 'toggleRecording',
    '85': 'toggleRecordingPause',
  },
  timeoutMs: 3000,
});

export type MenuOutcome =
  | { kind: 'open' }
  | { kind: 'pending' }
  | { kind: 'action'; action: MenuAction }
  | { kind: 'invalid'; sequence: string }
  | { kind: 'idle' };

/** Turns one participant's digits into menu actions. `*` opens the menu; a sequence ends on a match. */
export class MenuReader {
  private sequence: string | null = null;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly menu: Readonly<Record<string, MenuAction>>,
    private readonly timeoutMs: number,
    private readonly clock: Clock,
  ) {}

  get open(): boolean {
    return this.sequence !== null;
  }

  feed(digit: string): MenuOutcome {
    if (this.sequence === null) {
      if (digit !== '*') return { kind: 'idle' };
      this.sequence = '';
      this.arm();
      return { kind: 'open' };
    }
    const sequence = this.sequence + digit;
    const action = this.menu[sequence];
    if (action) {
      this.reset();
      return { kind: 'action', action };
    }
    if (Object.keys(this.menu).some((key) => key.startsWith(sequence))) {
      this.sequence = sequence;
      this.arm();
      return { kind: 'pending' };
    }
    this.reset();
    return { kind: 'invalid', sequence };
  }

  /**
   * The menu prompt is playing: as in app_meetme, the wait for a choice starts once it has played (a digit meanwhile
   * is taken as usual).
   */
  holdWhile(prompt: Promise<unknown>): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const sequence = this.sequence;
    void prompt.finally(() => {
      if (this.sequence !== null && this.sequence === sequence && this.timer === undefined) this.arm();
    });
  }

  private arm(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.sequence = null;
    }, this.timeoutMs);
  }

  reset(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.sequence = null;
  }
}
