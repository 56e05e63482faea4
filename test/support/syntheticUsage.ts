import { DAY_MS, MINUTE_MS, SERVICE, type UsageMinute } from '../../src/capacity/history';
import type { UsageHistory } from '../../src/store/UsageHistory';

/**
 * A month of conference usage with the shape of the platform ari-meetme is modelled on: on a weekday usage
 * climbs for hours from 07:30, holds its peak for 2.5 hours, and is gone by 17:30 (a 10-hour day); weekends
 * are a fraction of that, holidays almost nothing. Deterministic: the same options give the same minutes.
 */
export interface SyntheticUsage {
  /** A Monday, 00:00 UTC. */
  start: number;
  days: number;
  /** Weekday peak participants in the first week. */
  peak: number;
  weekendShare: number;
  growthPerWeek: number;
  /** Day indices (0 = start) that are holidays. */
  holidays: number[];
  holidayShare: number;
  /** Participants at night. */
  night: number;
  /** Relative noise: each day varies by up to this, each minute by up to half of it. */
  noise: number;
  seed: number;
}

export const MONTH: SyntheticUsage = {
  start: Date.parse('2026-01-05T00:00:00Z'),
  days: 35,
  peak: 2000,
  weekendShare: 0.2,
  growthPerWeek: 0.02,
  holidays: [16],
  holidayShare: 0.05,
  night: 20,
  noise: 0.06,
  seed: 7,
};

const H = 60 * MINUTE_MS;
export const RISE_FROM = 7.5 * H;
export const PEAK_FROM = 11 * H;
export const PEAK_TO = 13.5 * H;
export const FALL_TO = 17.5 * H;

const smooth = (x: number): number => x * x * (3 - 2 * x);

/** The day's shape at `ms` into the day: 0 at night, 1 at the peak. */
export function dayShape(ms: number): number {
  if (ms < RISE_FROM || ms >= FALL_TO) return 0;
  if (ms < PEAK_FROM) return smooth((ms - RISE_FROM) / (PEAK_FROM - RISE_FROM));
  if (ms < PEAK_TO) return 1;
  return smooth(1 - (ms - PEAK_TO) / (FALL_TO - PEAK_TO));
}

/** A hash of (seed, n) in [0, 1): noise that does not depend on the order minutes are asked for. */
function unit(seed: number, n: number): number {
  let x = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(n, 0xc2b2ae35)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
  return ((x ^ (x >>> 16)) >>> 0) / 4294967296;
}

/** Peak participants in the minute starting at `at` (any time, also after the generated days: the future to compare with). */
export function participantsAt(u: SyntheticUsage, at: number): number {
  const day = Math.floor((at - u.start) / DAY_MS);
  const weekday = ((day % 7) + 7) % 7;
  const share = u.holidays.includes(day) ? u.holidayShare : weekday >= 5 ? u.weekendShare : 1;
  const growth = (1 + u.growthPerWeek) ** (day / 7);
  const dayNoise = 1 + u.noise * (2 * unit(u.seed, day) - 1);
  const minuteNoise = 1 + (u.noise / 2) * (2 * unit(u.seed + 1, Math.floor(at / MINUTE_MS)) - 1);
  const into = at - (u.start + day * DAY_MS);
  return Math.round((u.night + u.peak * share * growth * dayShape(into)) * dayNoise * minuteNoise);
}

/** The generated minutes; `booked` adds a booked conference's participants over its window. */
export function syntheticMinutes(
  u: SyntheticUsage,
  booked: { start: number; end: number; participants: number }[] = [],
  range: { from?: number; to?: number } = {},
): UsageMinute[] {
  const minutes: UsageMinute[] = [];
  const from = range.from ?? u.start;
  const to = range.to ?? u.start + u.days * DAY_MS;
  for (let at = from; at < to; at += MINUTE_MS) {
    const inBooked = booked.filter((b) => b.start <= at && at < b.end);
    const bookedParticipants = inBooked.reduce((sum, b) => sum + b.participants, 0);
    const participants = participantsAt(u, at) + bookedParticipants;
    const conferences = Math.ceil(participants / 6);
    minutes.push({
      at,
      participantsPeak: participants,
      participantSeconds: Math.round(participants * 60 * 0.97),
      conferencesPeak: conferences,
      conferenceSeconds: conferences * 60,
      bookedConferences: inBooked.length,
      bookedParticipantsPeak: bookedParticipants,
    });
  }
  return minutes;
}

/** A year (52 weeks from MONTH's start) of the synthetic shape for the whole service, written a week at a time. */
export function recordSyntheticYear(history: UsageHistory): void {
  const year = { ...MONTH, days: 364 };
  for (let week = 0; week < 52; week++) {
    const from = year.start + week * 7 * DAY_MS;
    history.record(syntheticMinutes(year, [], { from, to: from + 7 * DAY_MS }).map((minute) => ({ scope: SERVICE, minute })));
  }
}
