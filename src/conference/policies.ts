import type { ConferenceSchedule } from './ports';

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
