/** What the API may ask of the capacity planner, and the bounds of each field (a 400 names the one outside). */

/** A what-if on the plan; what is left out comes from `capacity:` in the config. */
export interface PlanRequest {
  hours?: number | undefined;
  nodeCapacity?: number | undefined;
  headroom?: number | undefined;
  leadMinutes?: number | undefined;
}

export interface HistoryQuery {
  from: number;
  to: number;
  stepMinutes: number;
  /** A node, or the whole service when undefined. */
  node?: string | undefined;
}

/** Inclusive bounds; the forecast reads weeks back, so a week ahead is as far as it says anything. */
export const PLAN_LIMITS = {
  hours: { min: 1, max: 168, integer: true },
  nodeCapacity: { min: 1, max: 1_000_000, integer: true },
  headroom: { min: 0, max: 0.9, integer: false },
  leadMinutes: { min: 0, max: 720, integer: true },
} as const;

export const HISTORY_STEPS = [1, 5, 15, 60, 1440] as const;
/** A year and a bit: the longest retention that makes sense to draw at once. */
export const HISTORY_MAX_DAYS = 400;
export const HISTORY_MAX_POINTS = 20_000;
