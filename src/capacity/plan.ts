/**
 * The plan: nodes needed per slot from the forecast's upper band, and the actions that get them there:
 * up `leadMinutes` before a slot that needs more, down once the slots that needed more are over. No I/O.
 */
import type { Forecast, ForecastSlot } from './forecast';
import { MINUTE_MS, SLOT_MS } from './history';

export interface PlanOptions {
  now: number;
  /** Participants one node carries. */
  nodeCapacity: number;
  /** Share of each node kept free (0.2: plan for 80% of nodeCapacity). */
  headroom: number;
  leadMinutes: number;
  minNodes: number;
  maxNodes?: number | undefined;
  /** Nodes running now, as last asked for; undefined when unknown (nothing asked yet). */
  currentNodes?: number | undefined;
}

export interface PlannedSlot extends ForecastSlot {
  nodes: number;
}

export interface ScaleAction {
  at: number;
  from: number;
  to: number;
  direction: 'up' | 'down';
  reason: string;
}

export interface Plan {
  now: number;
  /** What should run now: enough for every slot starting within `leadMinutes`. */
  desiredNodes: number;
  usablePerNode: number;
  slots: PlannedSlot[];
  actions: ScaleAction[];
}

export function usablePerNode(nodeCapacity: number, headroom: number): number {
  return nodeCapacity * (1 - headroom);
}

export function nodesFor(participants: number, usable: number, minNodes: number, maxNodes?: number): number {
  const needed = Math.max(minNodes, Math.ceil(participants / usable - 1e-9));
  return maxNodes === undefined ? needed : Math.min(maxNodes, needed);
}

/** The nodes wanted at `t`: the most any slot from the current one to `t + lead` needs. */
export function desiredAt(slots: readonly PlannedSlot[], t: number, leadMs: number, minNodes: number): number {
  let nodes = minNodes;
  for (const s of slots) {
    if (s.start + SLOT_MS <= t) continue;
    if (s.start > t + leadMs) break;
    nodes = Math.max(nodes, s.nodes);
  }
  return nodes;
}

const hhmm = (ms: number): string => new Date(ms).toISOString().slice(11, 16);

export function plan(forecast: Forecast, options: PlanOptions): Plan {
  const usable = usablePerNode(options.nodeCapacity, options.headroom);
  const leadMs = options.leadMinutes * MINUTE_MS;
  const slots: PlannedSlot[] = forecast.slots.map((s) => ({ ...s, nodes: nodesFor(s.upper, usable, options.minNodes, options.maxNodes) }));
  const desiredNow = desiredAt(slots, options.now, leadMs, options.minNodes);
  // The wanted count changes only where a slot comes within the lead (start - lead) or ends (the next start).
  const times = new Set<number>();
  for (const s of slots) {
    if (s.start - leadMs > options.now) times.add(s.start - leadMs);
    if (s.start > options.now) times.add(s.start);
  }
  const actions: ScaleAction[] = [];
  let current = options.currentNodes ?? desiredNow;
  const act = (at: number, to: number): void => {
    if (to === current) return;
    const up = to > current;
    const cause = up
      ? slots.find((s) => s.start + SLOT_MS > at && s.start <= at + leadMs && s.nodes === to)
      : slots.find((s) => s.start + SLOT_MS > at);
    const reason = up
      ? `${cause?.upper ?? '?'} participants (upper band) at ${cause ? hhmm(cause.start) : '?'} need ${to} nodes`
      : `the forecast falls to ${cause?.upper ?? '?'} participants (upper band)`;
    actions.push({ at, from: current, to, direction: up ? 'up' : 'down', reason });
    current = to;
  };
  act(options.now, desiredNow);
  for (const t of [...times].sort((a, b) => a - b)) act(t, desiredAt(slots, t, leadMs, options.minNodes));
  return { now: options.now, desiredNodes: desiredNow, usablePerNode: usable, slots, actions };
}
