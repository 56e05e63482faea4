import { Worker } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../lib/logger';
import { TypedEmitter } from '../lib/TypedEmitter';
import { LatencyHistogram, type LatencySummary } from './LatencyHistogram';

export interface TickInfo {
  tick: number;
  /** Epoch ms (high resolution) the tick was due. */
  scheduledAt: number;
  /** How late the handler started, ms. */
  latenessMs: number;
}

export interface TimerStats {
  /** Deadlines that passed while the clock ran: what `ticks + skipped` should reach. */
  due: number;
  ticks: number;
  lateTicks: number;
  /** Ticks that ran more than 1 ms before their deadline (should never happen). */
  earlyTicks: number;
  skipped: number;
  lateness: LatencySummary;
  running: boolean;
}

const DEFAULT_MAX_CATCH_UP = 5;

export interface ConferenceTimerOptions {
  intervalMs: 10 | 20 | 40;
  /**
   * After a stall, at most this many overdue ticks run, back to back; the rest are skipped. Default 5
   * (100 ms at 20 ms): the test VM froze for 50-80 ms a few times in ten minutes, and with 3 each freeze
   * cost every caller a frame.
   */
  maxCatchUp?: number;
  /**
   * The worker wakes the main thread this many ms before each deadline, and the main thread waits out
   * the rest itself. Whatever the event loop is doing (a burst of RTP, a GC pause) then has this much
   * time to finish before the tick is due, so the tick starts on time. 0 hands the tick over at the deadline.
   */
  leadMs?: number;
  /**
   * Epoch ms the schedule counts from. Clocks given the same epoch tick at the same instants: the media
   * threads share one schedule, and a restarted thread keeps its phase. Default: when the worker starts.
   */
  epochMs?: number;
  logger?: Logger;
}

/**
 * Sleeps with Atomics.wait to just before each deadline, spins the last 0.2 ms, and posts the tick
 * number. Deadlines are start + k x interval, so the clock never drifts. Runs from an inline string so
 * it works the same under tsx and compiled.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
const { interval, shared, lead, epoch } = workerData;
const state = new Int32Array(shared, 0, 4);
const epochNow = () => performance.timeOrigin + performance.now();
// The clock starts once the worker runs (its boot time would otherwise make the first ticks late), or on
// the given epoch's grid, at its last point before now, so the first deadline is still ahead.
const now0 = epochNow();
const start = epoch === undefined ? now0 : epoch + Math.floor((now0 - epoch) / interval) * interval;
new Float64Array(shared, 16, 1)[0] = start;
let k = 1;
while (Atomics.load(state, 1) === 0) {
  const deadline = start + k * interval - lead;
  const sleep = deadline - epochNow() - 0.2;
  if (sleep > 0) Atomics.wait(state, 2, 0, sleep);
  if (Atomics.load(state, 1) !== 0) break;
  while (epochNow() < deadline) {}
  Atomics.store(state, 0, k);
  parentPort.postMessage(k);
  k++;
  // Behind by more than a second (a suspended VM): start again from now instead of a burst.
  if (epochNow() - (start + k * interval - lead) > 1000) k = Math.ceil((epochNow() - start) / interval);
}
`;

/** One drift-free clock for every conference; ticks are handed over once per period, never per packet. */
export class ConferenceTimer extends TypedEmitter<{ tick: [info: TickInfo] }> {
  private worker: Worker | undefined;
  private shared: Int32Array | undefined;
  /** Epoch ms the worker started the clock at, written by the worker before its first tick. */
  private startedAt: Float64Array | undefined;
  private readonly histogram = new LatencyHistogram();
  private counters = { ticks: 0, lateTicks: 0, earlyTicks: 0, skipped: 0 };
  private lastTickAt = 0;
  private dueBefore = 0;

  constructor(private readonly options: ConferenceTimerOptions) {
    super();
  }

  private get leadMs(): number {
    return Math.min(Math.max(this.options.leadMs ?? 0, 0), this.options.intervalMs / 2);
  }

  get running(): boolean {
    return this.worker !== undefined;
  }

  begin(): void {
    if (this.worker) return;
    const buffer = new SharedArrayBuffer(24);
    this.shared = new Int32Array(buffer, 0, 4);
    this.startedAt = new Float64Array(buffer, 16, 1);
    this.lastTickAt = performance.now();
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { interval: this.options.intervalMs, shared: buffer, lead: this.leadMs, epoch: this.options.epochMs },
    });
    worker.on('message', (k: number) => this.onTick(k));
    worker.on('error', (error) => this.options.logger?.error({ err: error }, 'timer worker failed'));
    worker.unref();
    this.worker = worker;
  }

  private onTick(k: number): void {
    const shared = this.shared;
    if (!shared) return;
    this.lastTickAt = performance.now();
    const latest = Atomics.load(shared, 0);
    // The main thread stalled and ticks queued up: run only the newest few.
    if (latest - k >= (this.options.maxCatchUp ?? DEFAULT_MAX_CATCH_UP)) {
      this.counters.skipped++;
      return;
    }
    const scheduledAt = (this.startedAt?.[0] ?? 0) + k * this.options.intervalMs;
    this.waitUntil(scheduledAt, shared);
    const latenessMs = performance.timeOrigin + performance.now() - scheduledAt;
    this.histogram.record(latenessMs);
    this.counters.ticks++;
    if (latenessMs > 1) this.counters.lateTicks++;
    if (latenessMs < -1) this.counters.earlyTicks++;
    this.safeEmit('tick', { tick: k, scheduledAt, latenessMs });
  }

  /** Sleeps, then spins the last 0.2 ms, up to an epoch deadline: the lead given by the worker. */
  private waitUntil(epochMs: number, shared: Int32Array): void {
    const sleep = epochMs - (performance.timeOrigin + performance.now()) - 0.2;
    if (sleep > 0) Atomics.wait(shared, 3, 0, sleep);
    while (performance.timeOrigin + performance.now() < epochMs) {
      // the last fraction of a millisecond: a sleep would overshoot it
    }
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker || !this.shared) return;
    this.worker = undefined;
    Atomics.store(this.shared, 1, 1);
    Atomics.notify(this.shared, 2);
    await worker.terminate();
  }

  stats(): TimerStats {
    const due = this.shared ? Atomics.load(this.shared, 0) - this.dueBefore : 0;
    return { due, ...this.counters, lateness: this.histogram.summary(), running: this.running };
  }

  /**
   * Running and ticks still arriving. Lateness is a metric, not a readiness signal: a busy moment
   * (a GC pause, a burst of requests) makes ticks late but the clock recovers by itself, while a dead
   * worker or a wedged event loop never does.
   */
  healthy(silenceLimitMs = 1000): boolean {
    return this.running && performance.now() - this.lastTickAt <= silenceLimitMs;
  }

  resetStats(): void {
    this.dueBefore = this.shared ? Atomics.load(this.shared, 0) : 0;
    this.histogram.reset();
    this.counters = { ticks: 0, lateTicks: 0, earlyTicks: 0, skipped: 0 };
  }
}
