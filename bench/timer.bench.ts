/** Tick lateness of the worker-thread timer against setTimeout and setInterval, with a busy main thread. */
import { performance } from 'node:perf_hooks';
import { ConferenceTimer } from '../src/timing/ConferenceTimer';
import { LatencyHistogram } from '../src/timing/LatencyHistogram';

const SECONDS = Number(process.env.BENCH_TIMER_SECONDS ?? 5);

/** Busy main thread: 3 ms of work every 7 ms, as an event loop serving ARI and HTTP might be. */
function busy(): () => void {
  const handle = setInterval(() => {
    const end = performance.now() + 3;
    while (performance.now() < end) {
      // work
    }
  }, 7);
  return () => clearInterval(handle);
}

async function chain(): Promise<{ h: LatencyHistogram; ticks: number }> {
  const h = new LatencyHistogram();
  const start = performance.now();
  let k = 1;
  await new Promise<void>((resolve) => {
    const step = (): void => {
      h.record(performance.now() - (start + k * 20));
      k++;
      if (k * 20 > SECONDS * 1000) return resolve();
      setTimeout(step, Math.max(0, start + k * 20 - performance.now()));
    };
    setTimeout(step, 20);
  });
  return { h, ticks: k - 1 };
}

async function interval(): Promise<{ ticks: number }> {
  let ticks = 0;
  const handle = setInterval(() => ticks++, 20);
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  clearInterval(handle);
  return { ticks };
}

export async function main(): Promise<void> {
  console.log(`timer, ${SECONDS} s each, main thread busy 3 ms in every 7`);
  const stop = busy();
  const worker = async (leadMs: number) => {
    const timer = new ConferenceTimer({ intervalMs: 20, leadMs });
    timer.begin();
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    await timer.stop();
    return timer.stats();
  };
  const w = await worker(0);
  console.log(
    `  worker + Atomics.wait: ticks ${w.ticks + w.skipped}/${w.due} due, lateness p50 ${w.lateness.p50.toFixed(3)} ms, p99 ${w.lateness.p99.toFixed(3)} ms, max ${w.lateness.max.toFixed(3)} ms`,
  );
  const l = await worker(3);
  console.log(
    `  same, 3 ms lead (app): ticks ${l.ticks + l.skipped}/${l.due} due, lateness p50 ${l.lateness.p50.toFixed(3)} ms, p99 ${l.lateness.p99.toFixed(3)} ms, max ${l.lateness.max.toFixed(3)} ms, early ${l.earlyTicks}`,
  );
  const c = await chain();
  const cs = c.h.summary();
  console.log(
    `  setTimeout chain:      ticks ${c.ticks}/${SECONDS * 50}, lateness p50 ${cs.p50.toFixed(3)} ms, p99 ${cs.p99.toFixed(3)} ms, max ${cs.max.toFixed(3)} ms`,
  );
  const i = await interval();
  console.log(
    `  setInterval:           ticks ${i.ticks}/${SECONDS * 50} (${((100 * (SECONDS * 50 - i.ticks)) / (SECONDS * 50)).toFixed(1)}% lost)`,
  );
  console.log(
    `  ratio p99 setTimeout/worker: ${(cs.p99 / Math.max(0.001, w.lateness.p99)).toFixed(1)}x, setTimeout/worker with lead: ${(cs.p99 / Math.max(0.001, l.lateness.p99)).toFixed(1)}x`,
  );
  stop();
}
