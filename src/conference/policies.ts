import type { ConferenceOptions } from './options';
import type { ConferenceSchedule, MediaUri, RecordingPolicy } from './ports';
import type { PromptSet } from './prompts';

export type ScheduleState = { kind: 'open' } | { kind: 'early'; opensAt: number } | { kind: 'over' };

/** Whether a booked conference takes callers now: from start minus the early-join window until end. */
export function scheduleState(schedule: ConferenceSchedule | undefined, now: number, extendedEnd?: number): ScheduleState {
  if (!schedule) return { kind: 'open' };
  const opensAt = Date.parse(schedule.start) - schedule.earlyJoinMinutes * 60000;
  const end = extendedEnd ?? Date.parse(schedule.end);
  if (now < opensAt) return { kind: 'early', opensAt };
  if (now >= end) return { kind: 'over' };
  return { kind: 'open' };
}

export type Admission = 'ok' | 'locked' | 'full';

/** MeetMe lets admins into a locked or full conference. */
export function admission(state: { locked: boolean; full: boolean }, admin: boolean): Admission {
  if (admin) return 'ok';
  if (state.locked) return 'locked';
  if (state.full) return 'full';
  return 'ok';
}

/** Gain steps stay within MeetMe's -4..4. */
export function stepGain(current: number, delta: 1 | -1): -4 | -3 | -2 | -1 | 0 | 1 | 2 | 3 | 4 {
  return Math.max(-4, Math.min(4, current + delta)) as -4 | -3 | -2 | -1 | 0 | 1 | 2 | 3 | 4;
}

/**
 * What a joining caller is told, from the membership at the moment they join (app_meetme's conf_run: the user is
 * counted first, then hears `conf-onlyperson`, or `conf-waitforleader` instead while no marked user is there, and
 * with `c` the count of the others).
 */
export function joinAnnouncement(prompts: PromptSet, state: { others: number; waiting: boolean; options: ConferenceOptions }): MediaUri[] {
  const { options, others } = state;
  if (options.quiet) return [];
  if (state.waiting) return [prompts.waitForLeader];
  const said: MediaUri[] = others === 0 && !options.noOnlyPerson ? [prompts.onlyPerson] : [];
  if (options.announceCount && others > 0) said.push(prompts.thereAre, `number:${others}`, prompts.otherInParty);
  return said;
}

/** Whether the first caller starts the recording: `recording: always`, or `r` (the conference's or the caller's). */
export function recordsFromStart(spec: { recording: RecordingPolicy; recordFromStart: boolean }, options: ConferenceOptions): boolean {
  return spec.recording !== 'off' && (spec.recordFromStart || options.record || spec.recording === 'always');
}
