import type { Clock, TimerHandle } from '../lib/clock';
import type { CallerFlowSettings } from './definition';
import type { ConferenceOptions } from './options';
import type { MediaUri } from './ports';
import type { PromptSet } from './prompts';

/** app_meetme says no warning with less than this left. */
const LAST_WARNING_MS = 5000;

/** "You have 2 minutes 30 seconds", as app_meetme rounds the time left. */
export function timeLeft(prompts: PromptSet, leftMs: number): MediaUri[] {
  const remain = Math.floor((leftMs + 500) / 1000);
  const minutes = Math.floor(remain / 60);
  const seconds = remain % 60;
  const said: MediaUri[] = [prompts.youHave];
  if (minutes > 0) said.push(`number:${minutes}`, prompts.minutes);
  if (seconds > 0) said.push(`number:${seconds}`, prompts.seconds);
  return said;
}

export interface LimitActions {
  /** Played to the caller alone. */
  warn(media: MediaUri[]): void;
  /** Time is up: the caller leaves, after `prompt` if there is one. */
  expire(prompt: MediaUri | undefined): void;
}

/**
 * One caller's time in the conference, from their join, as app_meetme runs `L(x:y:z)` (warnings from `y` before the
 * end, every `z`, the last at 5 s or more left; then the end sound and out) and `S(x)` (out after x seconds, no
 * sound; `L` wins when both are given). Returns what cancels it.
 */
export function armTimeLimit(
  clock: Clock,
  options: ConferenceOptions,
  prompts: PromptSet,
  flow: CallerFlowSettings,
  actions: LimitActions,
): () => void {
  const timers = new Set<TimerHandle>();
  const at = (when: number, run: () => void): void => {
    const timer = clock.setTimeout(
      () => {
        timers.delete(timer);
        run();
      },
      Math.max(0, when - clock.now()),
    );
    timers.add(timer);
  };
  const start = clock.now();
  const { limit, stopAfterSeconds } = options;
  if (limit) {
    const end = start + limit.limitMs;
    const warning = (when: number): void =>
      at(when, () => {
        const left = end - clock.now();
        if (left >= LAST_WARNING_MS) actions.warn(flow.limitWarningSound ? [`sound:${flow.limitWarningSound}`] : timeLeft(prompts, left));
        if (limit.repeatMs > 0 && when + limit.repeatMs < end) warning(when + limit.repeatMs);
      });
    if (limit.warningMs > 0) warning(end - limit.warningMs);
    at(end, () => actions.expire(flow.limitTimeoutSound ? `sound:${flow.limitTimeoutSound}` : undefined));
  } else if (stopAfterSeconds !== undefined) {
    at(start + stopAfterSeconds * 1000, () => actions.expire(undefined));
  }
  return () => {
    for (const timer of timers) clock.clearTimeout(timer);
    timers.clear();
  };
}
