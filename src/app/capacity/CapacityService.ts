import { forecastError, type ForecastError } from '../../capacity/accuracy';
import { forecast, type Booking } from '../../capacity/forecast';
import {
  aggregate,
  DAY_MS,
  floorTo,
  MINUTE_MS,
  SERVICE,
  SLOT_MS,
  slotSeries,
  WEEK_MS,
  type SlotSeries,
  type UsagePoint,
} from '../../capacity/history';
import { plan, usablePerNode, type Plan } from '../../capacity/plan';
import type { ConferenceDirectory } from '../../conference/ports';
import type { CapacityConfig } from '../../config/schema';
import type { HistoryQuery, PlanRequest } from '../../capacity/queries';
import type { Clock } from '../../lib/clock';
import type { UsageHistory } from '../../store/UsageHistory';
import type { HookRun } from './ScaleRunner';

export interface HookState {
  kind: 'command' | 'webhook';
  currentNodes: number | undefined;
  runs: readonly HookRun[];
}

export interface CapacityServiceDeps {
  settings: Readonly<CapacityConfig>;
  history: UsageHistory;
  directory: ConferenceDirectory;
  clock: Clock;
  /** The hook runner's state, when a hook is configured. */
  hook(): HookState | undefined;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Past days whose forecast is scored against what happened. */
const ERROR_DAYS = 28;

/** The plan and the history as the API, the metrics and the runner see them: the store read, the pure parts run. */
export class CapacityService {
  private past: { day: number; weeks: number; series: SlotSeries } | undefined;
  private series: { slot: number; series: SlotSeries } | undefined;
  private error: { key: string; error: ForecastError } | undefined;

  constructor(private readonly deps: CapacityServiceDeps) {}

  now(): number {
    return this.deps.clock.now();
  }

  /**
   * History in 15-minute slots for the forecasts and their scoring. The days before today are read once a
   * day; today's minutes once a slot.
   */
  private history(now: number): SlotSeries {
    const day = floorTo(now, DAY_MS);
    const slot = floorTo(now, SLOT_MS);
    const weeks = this.deps.settings.weeks;
    if (this.past?.day !== day || this.past.weeks !== weeks) {
      const from = day - ERROR_DAYS * DAY_MS - weeks * WEEK_MS;
      this.past = { day, weeks, series: slotSeries(this.deps.history.minutes(SERVICE, from, day), from, day) };
      this.series = undefined;
    }
    if (this.series?.slot !== slot) {
      const today = slotSeries(this.deps.history.minutes(SERVICE, day, slot), day, slot);
      this.series = { slot, series: { start: this.past.series.start, values: [...this.past.series.values, ...today.values] } };
    }
    return this.series.series;
  }

  /** Booked conferences that overlap the horizon, from their early join on. */
  bookings(from: number, to: number): Booking[] {
    const out: Booking[] = [];
    for (const d of this.deps.directory.list()) {
      const s = d.schedule;
      if (!s) continue;
      const start = Date.parse(s.start) - s.earlyJoinMinutes * MINUTE_MS;
      const end = Date.parse(s.end);
      if (start < to && end > from)
        out.push({ number: d.number, start, end, participants: d.maxMembers ?? this.deps.settings.bookedParticipants });
    }
    return out;
  }

  private parameters(request: PlanRequest) {
    const s = this.deps.settings;
    return {
      hours: request.hours ?? 48,
      nodeCapacity: request.nodeCapacity ?? s.nodeCapacity,
      headroom: request.headroom ?? s.headroom,
      leadMinutes: request.leadMinutes ?? s.leadMinutes,
      minNodes: s.minNodes,
      maxNodes: s.maxNodes,
      weeks: s.weeks,
    };
  }

  plan(request: PlanRequest = {}, currentNodes?: number): Plan & { bookings: Booking[]; trendPerWeek: number; daysOfHistory: number } {
    const now = this.deps.clock.now();
    const p = this.parameters(request);
    const bookings = this.bookings(now, now + p.hours * 3600_000 + SLOT_MS);
    const made = forecast(this.history(now), bookings, { now, hours: p.hours, weeks: p.weeks });
    const planned = plan(made, { now, ...p, currentNodes });
    return { ...planned, bookings, trendPerWeek: made.trendPerWeek, daysOfHistory: made.daysOfHistory };
  }

  /** How the forecasts of the last four weeks fared; scored again once a day or when the parameters change. */
  forecastError(request: PlanRequest = {}): ForecastError {
    const now = this.deps.clock.now();
    const p = this.parameters(request);
    const usable = usablePerNode(p.nodeCapacity, p.headroom);
    const key = JSON.stringify([floorTo(now, DAY_MS), usable, p.minNodes, p.maxNodes, p.weeks]);
    if (this.error?.key !== key) {
      const error = forecastError(this.history(now), {
        now,
        days: ERROR_DAYS,
        weeks: p.weeks,
        usablePerNode: usable,
        minNodes: p.minNodes,
        maxNodes: p.maxNodes,
      });
      this.error = { key, error };
    }
    return this.error.error;
  }

  /** The plan as the API answers it: times as ISO strings, with the forecast error and the hook's runs. */
  view(request: PlanRequest = {}) {
    const hook = this.deps.hook();
    const p = this.parameters(request);
    const planned = this.plan(request, hook?.currentNodes);
    return {
      generatedAt: iso(planned.now),
      parameters: { ...p, usablePerNode: planned.usablePerNode },
      trendPerWeek: planned.trendPerWeek,
      daysOfHistory: planned.daysOfHistory,
      currentNodes: hook?.currentNodes ?? null,
      desiredNodes: planned.desiredNodes,
      slots: planned.slots.map((s) => ({ ...s, start: iso(s.start) })),
      actions: planned.actions.map((a) => ({ ...a, at: iso(a.at) })),
      bookings: planned.bookings.map((b) => ({ ...b, start: iso(b.start), end: iso(b.end) })),
      forecastError: this.forecastError(request),
      hook: hook ? { kind: hook.kind, runs: hook.runs } : null,
    };
  }

  /** Usage folded into steps; the service, or one node. */
  usage(query: HistoryQuery) {
    const scope = query.node === undefined ? SERVICE : ({ kind: 'node', node: query.node } as const);
    const minutes = this.deps.history.minutes(scope, query.from, query.to);
    const points: (Omit<UsagePoint, 'at'> & { at: string })[] = aggregate(minutes, query.stepMinutes).map((p) => ({ ...p, at: iso(p.at) }));
    return {
      node: query.node ?? null,
      nodes: this.deps.history.nodes(),
      from: iso(query.from),
      to: iso(query.to),
      stepMinutes: query.stepMinutes,
      retentionDays: this.deps.settings.retentionDays,
      points,
    };
  }

  /** For the metrics: the desired count now, and the forecast it is for (the slots within the lead). */
  lookahead(): { desiredNodes: number; participants: number; upper: number } {
    const planned = this.plan({ hours: Math.ceil(this.deps.settings.leadMinutes / 60) + 1 }, this.deps.hook()?.currentNodes);
    const until = planned.now + this.deps.settings.leadMinutes * MINUTE_MS;
    const window = planned.slots.filter((s) => s.start + SLOT_MS > planned.now && s.start <= until);
    return {
      desiredNodes: planned.desiredNodes,
      participants: Math.max(0, ...window.map((s) => s.participants)),
      upper: Math.max(0, ...window.map((s) => s.upper)),
    };
  }
}
