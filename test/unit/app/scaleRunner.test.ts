import { expect } from 'chai';
import { CapacityService } from '../../../src/app/capacity/CapacityService';
import { ScaleRunner } from '../../../src/app/capacity/ScaleRunner';
import { singleNodeDrain } from '../../../src/app/capacity/singleNodeDrain';
import { DAY_MS, MINUTE_MS, SERVICE } from '../../../src/capacity/history';
import type { HookOutcome, NodeDrain, NodeLoad, ScaleRequest } from '../../../src/capacity/ports';
import { configSchema } from '../../../src/config/schema';
import { FakeClock } from '../../../src/lib/clock';
import { silentLogger } from '../../../src/lib/logger';
import { Store } from '../../../src/store/Store';
import { UsageHistory } from '../../../src/store/UsageHistory';
import { captureLogger } from '../../support/logger';
import { MONTH, participantsAt, syntheticMinutes } from '../../support/syntheticUsage';
import { harness } from '../conference/fakes';

const END = MONTH.start + MONTH.days * DAY_MS; // Monday 00:00Z after the month
const H = 3600_000;
const settings = configSchema.parse({}).capacity;
const USABLE = settings.nodeCapacity * (1 - settings.headroom);

/** A month of history in a real store, and the planner over it on a fake clock. */
function planner(clock: FakeClock): CapacityService {
  const history = new UsageHistory(new Store(':memory:'));
  history.record(syntheticMinutes(MONTH).map((minute) => ({ scope: SERVICE, minute })));
  return new CapacityService({ settings, history, directory: { lookup: () => undefined, list: () => [] }, clock, hook: () => undefined });
}

/**
 * A cloud that starts the nodes the hook asks for and removes the ones it names as drained. Callers follow
 * the synthetic day, spread over the nodes taking calls; a drained node's calls end over 20 minutes.
 */
class FakeCloud implements NodeDrain {
  readonly calls: (ScaleRequest & { clock: number; drainedLoad: number[] })[] = [];
  private readonly running = new Map<string, { drainedAt?: number }>([['n1', {}]]);
  private next = 2;

  constructor(private readonly clock: FakeClock) {}

  nodes(): NodeLoad[] {
    const now = this.clock.now();
    const active = [...this.running.values()].filter((n) => n.drainedAt === undefined).length;
    const each = Math.ceil(participantsAt(MONTH, now) / Math.max(1, active));
    return [...this.running].map(([id, n]) => ({
      id,
      draining: n.drainedAt !== undefined,
      participants: n.drainedAt === undefined ? each : now - n.drainedAt < 20 * MINUTE_MS ? 5 : 0,
    }));
  }

  drain(nodeId: string): void {
    const node = this.running.get(nodeId);
    if (node) node.drainedAt = this.clock.now();
  }

  async run(request: ScaleRequest): Promise<HookOutcome> {
    const load = new Map(this.nodes().map((n) => [n.id, n.participants]));
    this.calls.push({ ...request, clock: this.clock.now(), drainedLoad: request.drainedNodes.map((id) => load.get(id) ?? -1) });
    for (const id of request.drainedNodes) this.running.delete(id);
    while (this.running.size < request.desiredNodes) this.running.set(`n${this.next++}`, {});
    return { ok: true, detail: 'exit 0' };
  }
}

describe('ScaleRunner on a fake clock', () => {
  it('runs the hook at the planned times: up 30 minutes before each rise, down after the fall once the node is drained', async () => {
    const clock = new FakeClock(END);
    const capacity = planner(clock);
    const planned = capacity.plan({ hours: 24 }, 1).actions;
    const cloud = new FakeCloud(clock);
    const runner = new ScaleRunner({
      clock,
      logger: silentLogger(),
      plan: (current) => capacity.plan({}, current),
      hook: { kind: 'command', run: (r) => cloud.run(r) },
      drain: cloud,
      participants: () => cloud.nodes().reduce((sum, n) => sum + n.participants, 0),
    });
    runner.start();
    await runner.settled();
    await clock.advance(24 * H);
    runner.stop();

    const [first, ...rest] = cloud.calls;
    expect(first).to.include({ clock: END, direction: 'set', desiredNodes: 1, previousNodes: null });
    const ups = rest.filter((c) => c.direction === 'up');
    expect(ups.map((c) => [c.clock, c.desiredNodes])).to.deep.equal(planned.filter((a) => a.direction === 'up').map((a) => [a.at, a.to]));
    const downs = rest.filter((c) => c.direction === 'down');
    const plannedDowns = planned.filter((a) => a.direction === 'down');
    expect(downs.map((c) => c.desiredNodes)).to.deep.equal(plannedDowns.map((a) => a.to));
    downs.forEach((call, i) => {
      const due = plannedDowns[i]!.at;
      // After the planned time, and only once the nodes it drained have no one left on them.
      expect(call.clock).to.be.within(due, due + 25 * MINUTE_MS);
      expect(call.drainedNodes).to.have.length(call.previousNodes! - call.desiredNodes);
      expect(call.drainedLoad.every((n) => n === 0)).to.equal(true);
      expect(participantsAt(MONTH, call.clock)).to.be.at.most(call.desiredNodes * USABLE);
    });
    expect(cloud.nodes()).to.have.length(1);
    expect(runner.recentRuns()).to.have.length(cloud.calls.length);
    expect(runner.recentRuns()[0]).to.include({ ok: true, direction: 'down', desiredNodes: 1 });
  });

  it('waits for the usage to fall before it lets a node go', async () => {
    const clock = new FakeClock(END + 14 * H);
    const capacity = planner(clock);
    const calls: { at: number; desired: number }[] = [];
    let participants = 5000;
    const runner = new ScaleRunner({
      clock,
      logger: silentLogger(),
      plan: (current) => capacity.plan({}, current ?? 7),
      hook: {
        kind: 'webhook',
        run: async (r) => {
          calls.push({ at: clock.now(), desired: r.desiredNodes });
          return { ok: true, detail: 'HTTP 200' };
        },
      },
      drain: { nodes: () => [], drain: () => undefined },
      participants: () => participants,
    });
    runner.start(); // first run: the count wanted at 14:00
    await runner.settled();
    await clock.advance(2 * H);
    expect(calls.slice(1)).to.deep.equal([]);
    participants = 100;
    await clock.advance(MINUTE_MS);
    expect(calls.slice(1).map((c) => c.at)).to.deep.equal([END + 16 * H + MINUTE_MS]);
    runner.stop();
  });

  it('logs a failed hook with its outcome, shows it, and tries again at the next slot', async () => {
    const clock = new FakeClock(END + 9 * H + 5 * MINUTE_MS);
    const capacity = planner(clock);
    const { logger, lines } = captureLogger('info');
    let fail = true;
    const times: number[] = [];
    const runner = new ScaleRunner({
      clock,
      logger,
      plan: (current) => capacity.plan({}, current),
      hook: {
        kind: 'command',
        run: async () => {
          times.push(clock.now());
          return fail ? { ok: false, detail: 'exit 3: quota exceeded' } : { ok: true, detail: 'exit 0' };
        },
      },
      drain: { nodes: () => [], drain: () => undefined },
      participants: () => 0,
    });
    runner.start();
    await runner.settled();
    await clock.advance(MINUTE_MS);
    expect(runner.currentNodes).to.equal(undefined);
    expect(runner.recentRuns()[0]).to.include({ ok: false, detail: 'exit 3: quota exceeded', direction: 'set' });
    const warning = lines().find((l) => l.level === 40);
    expect(warning).to.include({ msg: 'capacity hook failed: exit 3: quota exceeded', hook: 'command', ok: false });
    fail = false;
    await clock.advance(10 * MINUTE_MS);
    expect(times).to.deep.equal([END + 9 * H + 5 * MINUTE_MS, END + 9 * H + 15 * MINUTE_MS]);
    expect(runner.currentNodes).to.be.greaterThan(1);
    runner.stop();
  });

  it('on a single node, a scale-in drains nothing of its own: the node is never drained below the count wanted', async () => {
    const h = harness();
    const drain = singleNodeDrain('node-a', h.manager);
    expect(drain.nodes()).to.deep.equal([{ id: 'node-a', participants: 0, draining: false }]);
    const clock = new FakeClock(END + 14 * H);
    const capacity = planner(clock);
    const requests: ScaleRequest[] = [];
    const runner = new ScaleRunner({
      clock,
      logger: silentLogger(),
      plan: (current) => capacity.plan({}, current ?? 7),
      hook: { kind: 'command', run: async (r) => (requests.push(r), { ok: true, detail: '' }) },
      drain,
      participants: () => 0,
    });
    runner.start();
    await runner.settled();
    await clock.advance(4 * H);
    runner.stop();
    expect(requests.filter((r) => r.direction === 'down').length).to.be.greaterThan(0);
    expect(requests.every((r) => r.drainedNodes.length === 0)).to.equal(true);
    expect(h.manager.draining).to.equal(false);
    // Draining it by name is the app's own drain.
    drain.drain('node-a');
    expect(h.manager.draining).to.equal(true);
    expect(drain.nodes()[0]!.draining).to.equal(true);
  });
});
