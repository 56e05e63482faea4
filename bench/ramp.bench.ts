/**
 * Callers arriving at a steady rate through the ARI double, which enforces Asterisk's HTTP session limit
 * (http.conf `sessionlimit`, default 100, the events socket included): how many reach the mix, how many
 * are hung up, how many connections the double refused, and how long each took from StasisStart to the
 * mix. The double runs on its own thread, as Asterisk is its own process; the app runs as `serve` does.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { MeetmeApp } from '../src/app/App';
import { configSchema } from '../src/config/schema';
import { silentLogger } from '../src/lib/logger';
import { makeSounds } from '../test/support/audio';
import type { FromDouble, ToDouble } from './rampDouble';

const CALLERS = Number(process.env.BENCH_RAMP_CALLERS ?? 1000);
const PER_SECOND = Number(process.env.BENCH_RAMP_PER_SECOND ?? 50);
const ROOM_SIZE = Number(process.env.BENCH_ROOM_SIZE ?? 10);
const SESSION_LIMIT = Number(process.env.BENCH_SESSION_LIMIT ?? 100);
/** Prompt durations are divided by this (1: as long as Debian's files). */
const SPEED = Number(process.env.BENCH_SPEED ?? 1);
const MAX_CONNECTIONS = process.env.BENCH_MAX_CONNECTIONS ? Number(process.env.BENCH_MAX_CONNECTIONS) : undefined;

type Report = Extract<FromDouble, { type: 'report' }>;

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

export async function main(): Promise<void> {
  const worker = new Worker(join(__dirname, 'rampDouble.ts'), { workerData: { sessionLimit: SESSION_LIMIT, speed: SPEED } });
  const waiting: ((message: FromDouble) => void)[] = [];
  worker.on('message', (message: FromDouble) => waiting.shift()?.(message));
  const next = (): Promise<FromDouble> => new Promise((resolve) => waiting.push(resolve));
  const send = (message: ToDouble): void => worker.postMessage(message);
  const report = async (): Promise<Report> => {
    const answer = next();
    send({ type: 'report' });
    return (await answer) as Report;
  };
  const ready = (await next()) as Extract<FromDouble, { type: 'ready' }>;
  const config = configSchema.parse({
    ari: { url: ready.url, ...(MAX_CONNECTIONS ? { maxConnections: MAX_CONNECTIONS } : {}) },
    media: { port: 0, ...makeSounds() },
    recordings: { dir: mkdtempSync(join(tmpdir(), 'meetme-rec-')) },
    store: { path: ':memory:' },
    http: { port: 0 },
    log: { level: 'silent' },
  });
  const app = new MeetmeApp({ config, logger: silentLogger() });
  await app.start();
  while (!app.ready) await new Promise((resolve) => setTimeout(resolve, 20));
  console.log(
    `ramp: ${CALLERS} callers at ${PER_SECOND}/s into rooms of ${ROOM_SIZE}, session limit ${SESSION_LIMIT}, ari.maxConnections ${config.ari.maxConnections}`,
  );
  const started = performance.now();
  let last: Report | undefined;
  const lag = monitorEventLoopDelay({ resolution: 10 });
  lag.enable();
  const progress = setInterval(() => {
    void report().then((r) => {
      last = r;
      lag.reset();
      console.log(
        `  ${((performance.now() - started) / 1000).toFixed(0)} s: dialled ${r.dialled}, in the mix ${r.inMix}, hung up ${r.hungUp}, sessions open ${r.sessions.open} (peak ${r.sessions.peak}, refused ${r.sessions.refused}); event-loop lag, worst: double ${r.lagMs.toFixed(0)} ms, app ${(lag.max / 1e6).toFixed(0)} ms`,
      );
    });
  }, 5000);
  for (let i = 0; i < CALLERS; i++) {
    const wait = started + (i * 1000) / PER_SECOND - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    send({ type: 'dial', exten: String(10000 + Math.floor(i / ROOM_SIZE)), callerId: `C${i} <${2000 + i}>` });
  }
  const rampSeconds = (performance.now() - started) / 1000;
  const settle = performance.now();
  clearInterval(progress);
  await new Promise((resolve) => setTimeout(resolve, 100));
  last = await report();
  while (last.inMix + last.hungUp < CALLERS && performance.now() - settle < 30000) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    last = await report();
  }
  const r = last;
  console.log(`  dialling took ${rampSeconds.toFixed(1)} s`);
  console.log(
    `  in the mix ${r.inMix} of ${CALLERS} (the app counts ${app.manager.participantCount} participants); hung up ${r.hungUp}; neither 30 s after the last dialled: ${CALLERS - r.inMix - r.hungUp}`,
  );
  console.log(
    `  HTTP sessions at the double: peak ${r.sessions.peak}, refused ${r.sessions.refused} (limit ${SESSION_LIMIT}); ${r.requests} REST requests`,
  );
  console.log(
    `  StasisStart to in the mix: p50 ${pct(r.joinMs, 50).toFixed(0)} ms, p95 ${pct(r.joinMs, 95).toFixed(0)} ms, max ${pct(r.joinMs, 100).toFixed(0)} ms`,
  );
  await app.stop();
  send({ type: 'stop' });
  await new Promise((resolve) => worker.once('exit', resolve));
}
