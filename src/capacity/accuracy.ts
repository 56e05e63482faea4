/**
 * How good the forecast was: each past day is forecast as it would have been at its midnight (UTC), from the
 * history before it, and compared slot by slot with what happened. Bookings are known ahead, so both sides
 * leave them out. No I/O.
 */
import { forecast } from './forecast';
import { DAY_MS, floorTo, valueAt, type SlotSeries } from './history';
import { nodesFor } from './plan';

export interface ErrorOptions {
  now: number;
  /** Past days to score, ending with yesterday. */
  days: number;
  weeks: number;
  usablePerNode: number;
  minNodes: number;
  maxNodes?: number | undefined;
}

export interface ErrorFigures {
  /** Slots compared (recorded, with a forecast). */
  slots: number;
  /** Mean absolute error, participants per slot. */
  meanAbsoluteError: number;
  /** Sum of absolute errors over the sum of what happened (0.08: 8%); null when nothing happened. */
  wape: number | null;
  /** Sum of errors over the sum of what happened: positive means the forecast was too high. */
  bias: number | null;
  /** The forecast day's peak against the actual peak, as a share of the actual. */
  peakError: number | null;
  /** Share of slots at or under the upper band. */
  bandCoverage: number;
  /** Slots where what happened needed more nodes than the upper band planned. */
  underProvisioned: number;
}

export interface DayError extends ErrorFigures {
  /** YYYY-MM-DD (UTC). */
  day: string;
}

export interface WeekError extends ErrorFigures {
  /** The Monday that starts the week, YYYY-MM-DD (UTC). */
  week: string;
}

export interface ForecastError {
  days: DayError[];
  weeks: WeekError[];
  overall: ErrorFigures;
}

interface Sums {
  slots: number;
  abs: number;
  err: number;
  actual: number;
  covered: number;
  under: number;
  /** Peaks are per day; a week's peak error is the mean of its days'. */
  peakErrors: number[];
}

const empty = (): Sums => ({ slots: 0, abs: 0, err: 0, actual: 0, covered: 0, under: 0, peakErrors: [] });
const round4 = (n: number): number => Math.round(n * 10000) / 10000;
const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

function merge(into: Sums, add: Sums): void {
  into.slots += add.slots;
  into.abs += add.abs;
  into.err += add.err;
  into.actual += add.actual;
  into.covered += add.covered;
  into.under += add.under;
  into.peakErrors.push(...add.peakErrors);
}

function figures(s: Sums): ErrorFigures {
  const share = (n: number): number | null => (s.actual > 0 ? round4(n / s.actual) : null);
  return {
    slots: s.slots,
    meanAbsoluteError: s.slots > 0 ? round4(s.abs / s.slots) : 0,
    wape: share(s.abs),
    bias: share(s.err),
    peakError: s.peakErrors.length > 0 ? round4(s.peakErrors.reduce((a, b) => a + b, 0) / s.peakErrors.length) : null,
    bandCoverage: s.slots > 0 ? round4(s.covered / s.slots) : 0,
    underProvisioned: s.under,
  };
}

/** Monday 00:00 UTC of the week `ms` falls in (1970-01-01 was a Thursday). */
export function weekStart(ms: number): number {
  const day = floorTo(ms, DAY_MS);
  const weekday = (new Date(day).getUTCDay() + 6) % 7;
  return day - weekday * DAY_MS;
}

export function forecastError(history: SlotSeries, options: ErrorOptions): ForecastError {
  const today = floorTo(options.now, DAY_MS);
  const days: DayError[] = [];
  const weeks = new Map<number, Sums>();
  const overall = empty();
  for (let i = options.days; i >= 1; i--) {
    const dayStart = today - i * DAY_MS;
    const made = forecast(history, [], { now: dayStart, hours: 24, weeks: options.weeks });
    const sums = empty();
    let peakForecast = 0;
    let peakActual = 0;
    for (const slot of made.slots) {
      const actual = valueAt(history, slot.start);
      if (actual === null || slot.basis === 'none') continue;
      sums.slots++;
      sums.abs += Math.abs(slot.participants - actual);
      sums.err += slot.participants - actual;
      sums.actual += actual;
      if (actual <= slot.upper) sums.covered++;
      const planned = nodesFor(slot.upper, options.usablePerNode, options.minNodes, options.maxNodes);
      if (nodesFor(actual, options.usablePerNode, options.minNodes, options.maxNodes) > planned) sums.under++;
      peakForecast = Math.max(peakForecast, slot.participants);
      peakActual = Math.max(peakActual, actual);
    }
    if (sums.slots === 0) continue;
    if (peakActual > 0) sums.peakErrors.push((peakForecast - peakActual) / peakActual);
    days.push({ day: isoDay(dayStart), ...figures(sums) });
    const week = weekStart(dayStart);
    const weekSums = weeks.get(week) ?? empty();
    merge(weekSums, sums);
    weeks.set(week, weekSums);
    merge(overall, sums);
  }
  return {
    days,
    weeks: [...weeks].map(([week, sums]) => ({ week: isoDay(week), ...figures(sums) })),
    overall: figures(overall),
  };
}
