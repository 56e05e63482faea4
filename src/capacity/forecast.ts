/**
 * The forecast: participants per 15-minute slot ahead, from the same slot of the same weekday over recent
 * weeks (scaled by the week-on-week trend), plus the booked conferences. No I/O.
 */
import { DAY_MS, floorTo, SLOT_MINUTES, SLOT_MS, valueAt, WEEK_MS, type SlotSeries } from './history';

/** A booked conference ahead: its window (from the early join on) and the participants it is expected to bring. */
export interface Booking {
  number: string;
  start: number;
  end: number;
  participants: number;
}

export interface ForecastOptions {
  now: number;
  hours: number;
  /** Weeks of history to look back over. */
  weeks: number;
}

/** What a slot's forecast stands on: past weeks, past days (less than a week of history), the last value seen, or nothing. */
export type Basis = 'weekly' | 'daily' | 'recent' | 'none';

export interface ForecastSlot {
  start: number;
  /** Expected peak participants: history plus bookings. */
  participants: number;
  /** The upper band (about two standard deviations above), bookings included: what nodes are planned for. */
  upper: number;
  /** Participants of booked conferences in this slot (included in both figures above). */
  booked: number;
  basis: Basis;
}

export interface Forecast {
  from: number;
  slotMinutes: number;
  /** Week-on-week growth of the history's weekly totals, e.g. 0.02 for +2% a week. */
  trendPerWeek: number;
  /** Recorded days (of the weeks looked back over) behind the trend. */
  daysOfHistory: number;
  slots: ForecastSlot[];
}

/** A day counts towards the trend when this share of its slots was recorded. */
const COVERAGE = 0.9;
/** Beyond this the trend is more likely a change of use than growth: it is capped. */
const MAX_TREND = 0.5;
/** 1.4826 x MAD estimates a standard deviation while ignoring a holiday among four weeks. */
const MAD_TO_SIGMA = 1.4826;

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Totals of the (UTC) days before the one `from` is in, over `weeks` weeks, most recent first; null for a day
 * recorded too little. Whole days, so the trend, and with it the plan, stays the same all day.
 */
function dailyTotals(seen: (at: number) => number | null, from: number, weeks: number): (number | null)[] {
  const perDay = DAY_MS / SLOT_MS;
  const today = floorTo(from, DAY_MS);
  const totals: (number | null)[] = [];
  for (let i = 1; i <= weeks * 7; i++) {
    let total = 0;
    let recorded = 0;
    for (let at = today - i * DAY_MS; at < today - (i - 1) * DAY_MS; at += SLOT_MS) {
      const v = seen(at);
      if (v === null) continue;
      total += v;
      recorded++;
    }
    totals.push(recorded >= perDay * COVERAGE ? (total * perDay) / recorded : null);
  }
  return totals;
}

/**
 * Growth per week: the median, over every pair of days on the same weekday, of the weekly growth between
 * them. A holiday spoils only the pairs it is in (a few of many, half up and half down), so the median
 * stays put, where a trend through weekly totals would bend.
 */
function trendOf(daily: readonly (number | null)[]): number {
  const rates: number[] = [];
  for (let i = 0; i < daily.length; i++) {
    const recent = daily[i];
    if (recent === null || recent === undefined || recent <= 0) continue;
    for (let j = i + 7; j < daily.length; j += 7) {
      const older = daily[j];
      if (older === null || older === undefined || older <= 0) continue;
      rates.push((recent / older) ** (7 / (j - i)) - 1);
    }
  }
  if (rates.length < 3) return 0;
  return Math.max(-MAX_TREND, Math.min(MAX_TREND, median(rates)));
}

function references(seen: (at: number) => number | null, at: number, last: number | null, weeks: number, trend: number): [Basis, number[]] {
  const weekly: number[] = [];
  for (let k = 1; k <= weeks; k++) {
    const v = seen(at - k * WEEK_MS);
    if (v !== null) weekly.push(v * (1 + trend) ** k);
  }
  if (weekly.length > 0) return ['weekly', weekly];
  const daily: number[] = [];
  for (let k = 1; k <= 6; k++) {
    const v = seen(at - k * DAY_MS);
    if (v !== null) daily.push(v);
  }
  if (daily.length > 0) return ['daily', daily];
  return last !== null ? ['recent', [last]] : ['none', []];
}

function bookedIn(bookings: readonly Booking[], start: number, end: number): number {
  let sum = 0;
  for (const b of bookings) if (b.start < end && b.end > start) sum += b.participants;
  return sum;
}

/** The next `hours` in 15-minute slots from the slot `now` falls in; only history before that slot is read. */
export function forecast(history: SlotSeries, bookings: readonly Booking[], options: ForecastOptions): Forecast {
  const from = floorTo(options.now, SLOT_MS);
  const seen = (at: number): number | null => (at < from ? valueAt(history, at) : null);
  const daily = dailyTotals(seen, from, options.weeks);
  const trend = trendOf(daily);
  let last: number | null = null;
  for (let back = from - SLOT_MS; back >= from - WEEK_MS && last === null; back -= SLOT_MS) last = seen(back);
  const slots: ForecastSlot[] = [];
  const count = Math.round((options.hours * 60) / SLOT_MINUTES);
  for (let i = 0; i < count; i++) {
    const start = from + i * SLOT_MS;
    const [basis, refs] = references(seen, start, last, options.weeks, trend);
    const point = median(refs);
    const spread = MAD_TO_SIGMA * median(refs.map((v) => Math.abs(v - point)));
    // Counts of callers also vary like a Poisson count (sd = sqrt(n)), even when past weeks agree exactly.
    const upper = point + 2 * Math.sqrt(spread * spread + point);
    const booked = bookedIn(bookings, start, start + SLOT_MS);
    slots.push({ start, participants: Math.round(point + booked), upper: Math.ceil(upper + booked), booked, basis });
  }
  return {
    from,
    slotMinutes: SLOT_MINUTES,
    trendPerWeek: Math.round(trend * 10000) / 10000,
    daysOfHistory: daily.filter((t) => t !== null).length,
    slots,
  };
}
