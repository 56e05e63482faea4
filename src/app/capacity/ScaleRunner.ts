import { floorTo, MINUTE_MS, SLOT_MS } from '../../capacity/history';
import type { Plan } from '../../capacity/plan';
import type { NodeDrain, ScaleDirection, ScaleHook } from '../../capacity/ports';
import type { Clock, TimerHandle } from '../../lib/clock';
import { errorMessage } from '../../lib/errors';
import type { Logger } from '../../lib/logger';

/** One run of the hook, as logged and shown in the plan. */
export interface HookRun {
  at: string;
  direction: ScaleDirection;
  previousNodes: number | null;
  desiredNodes: number;
  drainedNodes: string[];
  ok: boolean;
  detail: string;
  durationMs: number;
}

export interface ScaleRunnerDeps {
  clock: Clock;
  logger: Logger;
  /** The plan as of now, with `currentNodes` the count last asked for. */
  plan(currentNodes: number | undefined): Plan;
  hook: ScaleHook;
  drain: NodeDrain;
  /** Participants on the service now. */
  participants(): number;
  /** How often a pending scale-in looks again at the usage and the drained nodes. */
  recheckMs?: number;
}

const KEEP_RUNS = 50;

/**
 * Runs the hook at each planned action. Up: at once. Down: only once the usage has fallen to what the
 * smaller count carries, and only after the nodes it takes away are drained (no participant left on them).
 * Between actions it wakes at each 15-minute slot, when the plan may have changed with the new history.
 */
export class ScaleRunner {
  private applied: number | undefined;
  private readonly runs: HookRun[] = [];
  private pending: { to: number; drained: string[]; said: string; failed: boolean } | undefined;
  private timer: TimerHandle | undefined;
  private chain: Promise<void> = Promise.resolve();
  private stopped = true;

  constructor(private readonly deps: ScaleRunnerDeps) {}

  /** The count last asked for (undefined before the first run). */
  get currentNodes(): number | undefined {
    return this.applied;
  }

  get kind(): ScaleHook['kind'] {
    return this.deps.hook.kind;
  }

  recentRuns(): readonly HookRun[] {
    return this.runs;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.wake();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Resolves when the run in progress (if any) is done. */
  settled(): Promise<void> {
    return this.chain;
  }

  private wake(): void {
    this.timer = undefined;
    this.chain = this.chain
      .then(() => this.evaluate())
      .catch((error: unknown) => this.deps.logger.error({ err: errorMessage(error) }, 'capacity runner failed'));
  }

  private async evaluate(): Promise<void> {
    if (this.stopped) return;
    let plan: Plan | undefined;
    try {
      plan = this.deps.plan(this.applied);
      const desired = plan.desiredNodes;
      if (this.applied === undefined) await this.ask('set', desired, [], 'first run: the desired count now');
      else if (desired > this.applied) {
        if (this.pending) this.deps.logger.info({ to: this.pending.to }, 'scale-in called off: the plan rises again');
        this.pending = undefined;
        await this.ask('up', desired, [], plan.actions[0]?.reason ?? 'the plan wants more nodes');
      } else if (desired < this.applied)
        await this.scaleIn(desired, plan.usablePerNode, plan.actions[0]?.reason ?? 'the plan wants fewer nodes');
      else this.pending = undefined;
    } finally {
      this.arm(plan);
    }
  }

  private async scaleIn(to: number, usable: number, reason: string): Promise<void> {
    const participants = this.deps.participants();
    const pending = (this.pending ??= { to, drained: [], said: '', failed: false });
    pending.to = to;
    pending.failed = false;
    const say = (what: string, fields: Record<string, unknown>): void => {
      if (pending.said === what) return;
      pending.said = what;
      this.deps.logger.info({ to, ...fields }, what);
    };
    if (participants > to * usable) {
      say('scale-in waits: the usage has not fallen yet', { participants, carries: to * usable });
      return;
    }
    const nodes = this.deps.drain.nodes();
    const active = nodes.filter((n) => !n.draining).sort((a, b) => a.participants - b.participants);
    // Only nodes this app knows can be drained, and never below the count wanted; the rest drain on their own SIGTERM.
    for (const node of active.slice(0, Math.max(0, active.length - Math.max(to, 1)))) {
      this.deps.drain.drain(node.id);
      pending.drained.push(node.id);
      this.deps.logger.info({ node: node.id, participants: node.participants }, 'draining a node for scale-in');
    }
    const busy = nodes.filter((n) => pending.drained.includes(n.id) && n.participants > 0);
    if (busy.length > 0) {
      say('scale-in waits for drained nodes to empty', { nodes: busy.map((n) => `${n.id} (${n.participants})`) });
      return;
    }
    if (await this.ask('down', to, pending.drained, reason)) this.pending = undefined;
    // A failed hook is tried again at the next slot, not every minute.
    else pending.failed = true;
  }

  /** Runs the hook; the count counts as asked for only when it succeeds (a failure is tried again at the next wake). */
  private async ask(direction: ScaleDirection, desired: number, drained: string[], reason: string): Promise<boolean> {
    const started = this.deps.clock.now();
    const wall = Date.now();
    const request = { at: started, direction, previousNodes: this.applied ?? null, desiredNodes: desired, drainedNodes: drained, reason };
    const outcome = await this.deps.hook.run(request).catch((error: unknown) => ({ ok: false, detail: errorMessage(error) }));
    const run: HookRun = {
      at: new Date(started).toISOString(),
      direction,
      previousNodes: request.previousNodes,
      desiredNodes: desired,
      drainedNodes: drained,
      ok: outcome.ok,
      detail: outcome.detail,
      durationMs: Date.now() - wall,
    };
    this.runs.unshift(run);
    this.runs.length = Math.min(this.runs.length, KEEP_RUNS);
    const fields = { hook: this.deps.hook.kind, ...run };
    if (outcome.ok) {
      this.deps.logger.info(fields, `capacity hook: ${desired} nodes (${direction})`);
      this.applied = desired;
    } else this.deps.logger.warn(fields, `capacity hook failed: ${outcome.detail}`);
    return outcome.ok;
  }

  private arm(plan: Plan | undefined): void {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    let next = floorTo(now, SLOT_MS) + SLOT_MS;
    const action = plan?.actions.find((a) => a.at > now);
    if (action) next = Math.min(next, action.at);
    if (this.pending && !this.pending.failed) next = Math.min(next, now + (this.deps.recheckMs ?? MINUTE_MS));
    this.timer = this.deps.clock.setTimeout(() => this.wake(), next - now);
  }
}
