/**
 * Capacity planning on the synthetic month the tests use (test/support/syntheticUsage.ts): the nodes planned
 * per slot for a weekday and a weekend day, the forecast error of the past four weeks (the holiday week among
 * them), how long planning takes, and what a year of history costs in the store.
 */
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { forecastError, type ErrorFigures } from '../src/capacity/accuracy';
import { forecast } from '../src/capacity/forecast';
import { DAY_MS, MINUTE_MS, SERVICE, SLOT_MS, slotSeries, type SlotSeries } from '../src/capacity/history';
import { plan, type Plan } from '../src/capacity/plan';
import { Store } from '../src/store/Store';
import { UsageHistory } from '../src/store/UsageHistory';
import { MONTH, participantsAt, recordSyntheticYear, syntheticMinutes } from '../test/support/syntheticUsage';

const NODE = { nodeCapacity: 500, headroom: 0.2, leadMinutes: 30, minNodes: 1 };
const USABLE = NODE.nodeCapacity * (1 - NODE.headroom);
const END = MONTH.start + MONTH.days * DAY_MS;
const hhmm = (ms: number): string => new Date(ms).toISOString().slice(11, 16);
const pct = (n: number | null): string => (n === null ? '-' : `${(n * 100).toFixed(1)}%`);

function planFor(series: SlotSeries, now: number): Plan {
  return plan(forecast(series, [], { now, hours: 24, weeks: 4 }), { now, ...NODE, currentNodes: 1 });
}

/**
 * The day as runs of slots needing the same nodes, with the forecast upper band and what actually came (the
 * synthetic truth, minute by minute), and when the plan has those nodes running: 30 minutes ahead of a rise.
 */
function runs(p: Plan, day: number): string[] {
  const lines: string[] = [];
  const slots = p.slots.filter((s) => s.start >= day && s.start < day + DAY_MS);
  let i = 0;
  while (i < slots.length) {
    const first = slots[i]!;
    let upper = 0;
    let truth = 0;
    let j = i;
    for (; j < slots.length && slots[j]!.nodes === first.nodes; j++) {
      upper = Math.max(upper, slots[j]!.upper);
      for (let m = slots[j]!.start; m < slots[j]!.start + SLOT_MS; m += MINUTE_MS) truth = Math.max(truth, participantsAt(MONTH, m));
    }
    const end = j < slots.length ? hhmm(slots[j]!.start) : '24:00';
    const asked = p.actions.filter((a) => a.to === first.nodes && a.at <= first.start).at(-1);
    const running = asked ? hhmm(asked.at) : i === 0 ? 'already' : '-';
    lines.push(`| ${hhmm(first.start)}-${end} | ${first.nodes} | ${upper} | ${truth} | ${running} |`);
    i = j;
  }
  return lines;
}

const row = (label: string, f: ErrorFigures): string =>
  `| ${label} | ${f.slots} | ${f.meanAbsoluteError.toFixed(1)} | ${pct(f.wape)} | ${pct(f.bias)} | ${pct(f.peakError)} | ${pct(f.bandCoverage)} | ${f.underProvisioned} |`;

export async function main(): Promise<void> {
  const series = slotSeries(syntheticMinutes(MONTH), MONTH.start, END);
  console.log(
    `capacity: synthetic month ${new Date(MONTH.start).toISOString().slice(0, 10)} + ${MONTH.days} days, weekday peak ${MONTH.peak} ` +
      `growing ${pct(MONTH.growthPerWeek)}/week, weekends x${MONTH.weekendShare}, holiday on day ${MONTH.holidays.join(', ')}; ` +
      `node ${NODE.nodeCapacity} participants, headroom ${pct(NODE.headroom)} (plan for ${USABLE}), lead ${NODE.leadMinutes} min`,
  );
  for (const [label, day] of [
    ['weekday (Monday after the month)', END],
    ['weekend day (Saturday, from the history before it)', END - 2 * DAY_MS],
  ] as const) {
    const p = planFor(series, day);
    console.log(`\nnodes wanted, ${label} ${new Date(day).toISOString().slice(0, 10)} (UTC):`);
    console.log('| slots | nodes needed | forecast upper (max) | actual (max) | running from |\n| --- | --- | --- | --- | --- |');
    for (const line of runs(p, day)) console.log(line);
    console.log(`actions: ${p.actions.map((a) => `${hhmm(a.at)} ${a.from}->${a.to}`).join(', ')}`);
  }

  const error = forecastError(series, { now: END, days: 28, weeks: 4, usablePerNode: USABLE, minNodes: 1 });
  console.log('\nforecast error, each day forecast at its midnight from the history before it:');
  console.log('| week of | slots | MAE | WAPE | bias | peak error | under the band | slots short of nodes |');
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const w of error.weeks) console.log(row(w.week, w));
  console.log(row('all 4 weeks', error.overall));
  const worst = [...error.days].sort((a, b) => (b.wape ?? 0) - (a.wape ?? 0)).slice(0, 3);
  console.log(`worst days: ${worst.map((d) => `${d.day} WAPE ${pct(d.wape)} bias ${pct(d.bias)}`).join('; ')}`);

  let t = performance.now();
  for (let i = 0; i < 100; i++) plan(forecast(series, [], { now: END, hours: 48, weeks: 4 }), { now: END, ...NODE });
  const planMs = (performance.now() - t) / 100;
  t = performance.now();
  forecastError(series, { now: END, days: 28, weeks: 4, usablePerNode: USABLE, minNodes: 1 });
  const errorMs = performance.now() - t;
  console.log(`\ntime: a 48-hour plan ${planMs.toFixed(2)} ms; scoring 28 days ${errorMs.toFixed(0)} ms`);

  const path = join(mkdtempSync(join(tmpdir(), 'capacity-bench-')), 'year.sqlite');
  const store = new Store(path);
  const history = new UsageHistory(store);
  recordSyntheticYear(history);
  t = performance.now();
  history.minutes(SERVICE, END - 56 * DAY_MS, END);
  const readMs = performance.now() - t;
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.db.exec('VACUUM');
  store.close();
  const bytes = statSync(path).size;
  console.log(
    `store: a year of per-minute usage for one scope ${(bytes / 1e6).toFixed(2)} MB (${Math.round(bytes / 364)} bytes a day); reading 8 weeks ${readMs.toFixed(0)} ms`,
  );
}
