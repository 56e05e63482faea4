import { performance } from 'node:perf_hooks';
import { expect } from 'chai';
import { Writable } from 'node:stream';
import { runTimingCommand } from '../../../src/cli/timing';
import { ConferenceTimer } from '../../../src/timing/ConferenceTimer';
import { LatencyHistogram } from '../../../src/timing/LatencyHistogram';
import { setListenerErrorSink } from '../../../src/lib/TypedEmitter';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('LatencyHistogram', () => {
  it('gives percentiles to the bucket and the exact max', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 98; i++) h.record(0.12);
    h.record(3.3);
    h.record(42);
    const s = h.summary();
    expect(s.count).to.equal(100);
    expect(s.p50).to.be.closeTo(0.15, 1e-9);
    expect(s.p99).to.be.closeTo(3.3, 0.051);
    expect(s.max).to.equal(42);
  });
});

describe('ConferenceTimer', function () {
  this.timeout(10000);

  it('ticks at its rate without drift', async () => {
    const timer = new ConferenceTimer({ intervalMs: 20 });
    const ticks: number[] = [];
    // Counted from the first tick: the worker's start-up (slow on a loaded machine) is not drift.
    let started = 0;
    timer.on('tick', (t) => {
      if (ticks.length === 0) started = performance.now();
      ticks.push(t.tick);
    });
    timer.begin();
    await sleep(1000);
    const expected = (performance.now() - started) / 20 + 1;
    await timer.stop();
    expect(ticks.length).to.be.within(expected - 3, expected + 1);
    expect(
      ticks.every((k, i) => i === 0 || k === ticks[i - 1]! + 1),
      'consecutive ticks',
    ).to.equal(true);
  });

  it('given one epoch, clocks started apart tick on the same grid', async () => {
    const epochMs = performance.timeOrigin + performance.now() - 7;
    const first = new ConferenceTimer({ intervalMs: 20, epochMs });
    const scheduled: number[][] = [[], []];
    first.on('tick', (t) => scheduled[0]!.push(t.scheduledAt));
    first.begin();
    await sleep(53);
    const second = new ConferenceTimer({ intervalMs: 20, epochMs });
    second.on('tick', (t) => scheduled[1]!.push(t.scheduledAt));
    const secondBegun = performance.timeOrigin + performance.now();
    second.begin();
    await sleep(300);
    await Promise.all([first.stop(), second.stop()]);
    for (const list of scheduled) {
      expect(list.length).to.be.at.least(10);
      for (const at of list) expect(Math.abs((at - epochMs) / 20 - Math.round((at - epochMs) / 20)), 'on the grid').to.be.below(1e-3);
    }
    expect(scheduled[1]![0], 'the second clock starts with its next deadline, not a past one').to.be.above(secondBegun);
  });

  it('after a stall runs at most maxCatchUp overdue ticks and counts the rest as skipped', async () => {
    const timer = new ConferenceTimer({ intervalMs: 20, maxCatchUp: 3 });
    let handled = 0;
    let started = 0;
    timer.on('tick', () => {
      if (handled++ === 0) started = performance.now();
    });
    timer.begin();
    await sleep(200);
    const before = handled;
    const until = Date.now() + 300;
    while (Date.now() < until) {
      // the main thread is busy: ticks queue up
    }
    await sleep(100);
    expect(timer.healthy(), 'late ticks alone do not make the clock unhealthy').to.equal(true);
    const expected = (performance.now() - started) / 20 + 1;
    await timer.stop();
    expect(timer.healthy()).to.equal(false);
    const stats = timer.stats();
    expect(stats.skipped).to.be.at.least(10);
    expect(handled - before).to.be.below(15);
    expect(stats.ticks + stats.skipped).to.be.within(expected - 3, expected + 1);
  });

  it('with a lead, a busy main thread just before the deadline no longer makes ticks late', async () => {
    const run = async (leadMs: number) => {
      const timer = new ConferenceTimer({ intervalMs: 20, leadMs });
      const pending = new Set<NodeJS.Timeout>();
      timer.on('tick', () => {
        // Work that lands across the next deadline: 15 ms after this tick, 6 ms long.
        const handle = setTimeout(() => {
          pending.delete(handle);
          const until = performance.now() + 6;
          while (performance.now() < until) {
            // busy
          }
        }, 15);
        pending.add(handle);
      });
      timer.begin();
      await sleep(1000);
      await timer.stop();
      for (const handle of pending) clearTimeout(handle);
      return timer.stats();
    };
    const without = await run(0);
    const withLead = await run(8);
    expect(without.lateness.p50, 'the disturbance does hit the deadline').to.be.greaterThan(0.5);
    expect(withLead.lateness.p50).to.be.below(0.5);
    expect(withLead.earlyTicks, 'never early').to.equal(0);
    expect(withLead.ticks).to.be.within(44, 52);
  });

  it('keeps ticking when a listener throws, and stops twice without complaint', async () => {
    const reported: string[] = [];
    setListenerErrorSink((error) => reported.push(String(error)));
    const timer = new ConferenceTimer({ intervalMs: 20 });
    let good = 0;
    timer.on('tick', () => {
      throw new Error('bad listener');
    });
    timer.on('tick', () => good++);
    timer.begin();
    await sleep(200);
    await timer.stop();
    await timer.stop();
    expect(good).to.be.greaterThan(5);
    expect(reported.length).to.equal(good);
    expect(timer.running).to.equal(false);
  });
});

describe('ari-meetme timing', function () {
  this.timeout(10000);

  it('prints the figures and an exit code consistent with them', async () => {
    let text = '';
    const out = new Writable({
      write(chunk: Buffer, _e, cb) {
        text += chunk.toString();
        cb();
      },
    });
    const code = await runTimingCommand(['--seconds', '1', '--json'], out);
    const report = JSON.parse(text) as { expected: number; achieved: number; latenessMs: { p99: number }; ok: boolean };
    // One second at 50/s: the clock starts once its worker runs, so a tick or two less than the nominal 50.
    expect(report.expected).to.be.within(47, 50);
    expect(code).to.equal(report.ok ? 0 : 1);
    expect(report.ok).to.equal(report.achieved >= report.expected * 0.99 - 1 && report.latenessMs.p99 <= 2);
  });
});
