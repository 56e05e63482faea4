/** Usage history: per-minute samples, their aggregates, and the 15-minute series the forecast reads. No I/O. */

export const MINUTE_MS = 60_000;
export const SLOT_MINUTES = 15;
export const SLOT_MS = SLOT_MINUTES * MINUTE_MS;
export const DAY_MS = 24 * 60 * MINUTE_MS;
export const WEEK_MS = 7 * DAY_MS;

/** The whole service, or one node. */
export type Scope = { kind: 'service' } | { kind: 'node'; node: string };

export const SERVICE: Scope = { kind: 'service' };

export function scopeKey(scope: Scope): string {
  return scope.kind === 'service' ? 'service' : `node:${scope.node}`;
}

/** One minute of usage in one scope. */
export interface UsageMinute {
  /** Epoch ms of the minute's start. */
  at: number;
  participantsPeak: number;
  /** Participant-seconds within the minute: the mean is this / 60. Integers keep the store exact. */
  participantSeconds: number;
  conferencesPeak: number;
  conferenceSeconds: number;
  /** Booked conferences (those with a schedule) due in this minute: the service counts the schedule, a node those live on it. */
  bookedConferences: number;
  /** Peak participants in booked conferences; the forecast takes them out of the history and adds the bookings ahead. */
  bookedParticipantsPeak: number;
}

/** Several minutes folded into one step (15 minutes, an hour, a day). */
export interface UsagePoint {
  at: number;
  /** Minutes with a sample: fewer than the step means the app was not running for some of it. */
  minutes: number;
  participantsPeak: number;
  participantsMean: number;
  conferencesPeak: number;
  conferencesMean: number;
  bookedConferences: number;
  bookedParticipantsPeak: number;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

export function floorTo(ms: number, step: number): number {
  return Math.floor(ms / step) * step;
}

/** Folds minutes (in time order) into steps of `stepMinutes`; steps without any sample are left out. */
export function aggregate(minutes: readonly UsageMinute[], stepMinutes: number): UsagePoint[] {
  const stepMs = stepMinutes * MINUTE_MS;
  const points: UsagePoint[] = [];
  let current: (UsagePoint & { pSeconds: number; cSeconds: number }) | undefined;
  const close = (): void => {
    if (!current) return;
    const { pSeconds, cSeconds, ...point } = current;
    points.push({
      ...point,
      participantsMean: round2(pSeconds / (60 * point.minutes)),
      conferencesMean: round2(cSeconds / (60 * point.minutes)),
    });
  };
  for (const m of minutes) {
    const at = floorTo(m.at, stepMs);
    if (current?.at !== at) {
      close();
      current = {
        at,
        minutes: 0,
        participantsPeak: 0,
        participantsMean: 0,
        conferencesPeak: 0,
        conferencesMean: 0,
        bookedConferences: 0,
        bookedParticipantsPeak: 0,
        pSeconds: 0,
        cSeconds: 0,
      };
    }
    current.minutes++;
    current.participantsPeak = Math.max(current.participantsPeak, m.participantsPeak);
    current.conferencesPeak = Math.max(current.conferencesPeak, m.conferencesPeak);
    current.bookedConferences = Math.max(current.bookedConferences, m.bookedConferences);
    current.bookedParticipantsPeak = Math.max(current.bookedParticipantsPeak, m.bookedParticipantsPeak);
    current.pSeconds += m.participantSeconds;
    current.cSeconds += m.conferenceSeconds;
  }
  close();
  return points;
}

/** Peak participants outside booked conferences per 15-minute slot; null where no minute was recorded. */
export interface SlotSeries {
  start: number;
  values: (number | null)[];
}

/** Nodes are planned for peaks, not means: a slot needs what its busiest minute needs. */
export function slotSeries(minutes: readonly UsageMinute[], from: number, to: number): SlotSeries {
  const start = floorTo(from, SLOT_MS);
  const values: (number | null)[] = new Array<number | null>(Math.max(0, Math.ceil((to - start) / SLOT_MS))).fill(null);
  for (const m of minutes) {
    const i = Math.floor((m.at - start) / SLOT_MS);
    if (i < 0 || i >= values.length) continue;
    const organic = Math.max(0, m.participantsPeak - m.bookedParticipantsPeak);
    values[i] = Math.max(values[i] ?? 0, organic);
  }
  return { start, values };
}

/** The series' value for the slot starting at `at`, if recorded. */
export function valueAt(series: SlotSeries, at: number): number | null {
  const i = (at - series.start) / SLOT_MS;
  if (!Number.isInteger(i) || i < 0 || i >= series.values.length) return null;
  return series.values[i] ?? null;
}
