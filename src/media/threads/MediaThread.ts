import { Worker } from 'node:worker_threads';
import { extname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AppError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { TypedEmitter } from '../../lib/TypedEmitter';
import type { EngineStats } from '../MediaEngine';
import type { Command, Report, Request, ThreadHealth, ThreadOptions } from './protocol';

const HEARTBEAT_MS = 500;
/** A thread that has not reported for this long is not ready (its event loop is wedged or it died). */
const SILENCE_LIMIT_MS = 1500;
const RESTART_DELAYS_MS = [100, 1000, 5000];
/**
 * A thread that has not reported for this long is wedged (an endless loop, a stuck call): it is ended and
 * started again. Long enough that a thread merely starved of CPU on an overloaded machine (heartbeats
 * seconds late) is left alone: a restart ends its recordings.
 */
const WEDGED_MS = 30_000;

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };
type RequestBody = Request extends infer R ? (R extends Request ? Omit<R, 'id'> : never) : never;

const COUNTERS = ['packetsIn', 'packetsOut', 'lost', 'late', 'reordered', 'duplicate', 'concealed', 'foreign', 'malformed'] as const;

function workerFile(): { file: string; execArgv: string[] | undefined } {
  const ext = extname(__filename);
  const file = join(__dirname, `worker${ext}`);
  // From TypeScript sources (tests, bench) the worker needs the loader this thread has. Workers inherit the
  // command line's; one registered in code (mocha's `require`) is added. Given execArgv replaces the inherited.
  if (ext !== '.ts' || process.execArgv.some((arg) => arg.includes('tsx'))) return { file, execArgv: undefined };
  return { file, execArgv: ['--require', require.resolve('tsx/cjs')] };
}

/**
 * One media thread seen from the main thread: commands in order, requests answered by id, a heartbeat
 * with its figures, and a restart on the same port if it dies, so Asterisk's RTP finds it again.
 */
export class MediaThread {
  readonly events = new TypedEmitter<{
    talking: [room: string, leg: string, talking: boolean];
    dtmf: [room: string, leg: string, digit: string, durationMs: number];
    ticks: [latenessMs: number[], mixMicros: number[]];
    /** A new worker took over after a crash: its rooms must be set up again. */
    restarted: [];
  }>();
  private worker: Worker | undefined;
  /** The worker once it is bound and ticking; commands wait for it (a restarted one gets its rooms replayed). */
  private live: Worker | undefined;
  private boundPort: number | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private health: ThreadHealth | undefined;
  private lastReportAt = 0;
  /** Counters of workers that died, so totals never go backwards. */
  private carried: Record<(typeof COUNTERS)[number], number> = Object.fromEntries(COUNTERS.map((k) => [k, 0])) as Record<
    (typeof COUNTERS)[number],
    number
  >;
  private closing = false;
  private crashes = 0;
  private watchdog: NodeJS.Timeout | undefined;
  restarts = 0;

  constructor(
    private readonly options: Omit<ThreadOptions, 'heartbeatMs'>,
    private readonly logger: Logger,
  ) {}

  get port(): number {
    if (this.boundPort === undefined) throw new AppError('media_not_started', 'the media thread has not started');
    return this.boundPort;
  }

  get index(): number {
    return this.options.index;
  }

  /** Starts the worker; resolves with its RTP port once it is bound and ticking. */
  start(): Promise<number> {
    const { file, execArgv } = workerFile();
    const data: ThreadOptions = { ...this.options, port: this.boundPort ?? this.options.port, heartbeatMs: HEARTBEAT_MS };
    const worker = new Worker(file, { workerData: data, execArgv });
    this.worker = worker;
    return new Promise<number>((resolve, reject) => {
      let ready = false;
      worker.on('message', (report: Report) => {
        if (report.type === 'ready') {
          ready = true;
          this.live = worker;
          this.boundPort = report.port;
          this.lastReportAt = performance.now();
          this.watch();
          resolve(report.port);
        } else this.onReport(report);
      });
      worker.on('error', (error) => {
        if (!ready) reject(error);
        else this.logger.error({ err: error }, 'media thread failed');
      });
      worker.on('exit', (code) => {
        if (this.worker !== worker) return;
        this.worker = undefined;
        this.live = undefined;
        this.failPending();
        if (!ready) reject(new AppError('media_thread_failed', `media thread ${this.index} exited before it was ready (code ${code})`));
        else if (!this.closing) this.restartAfterCrash(code);
      });
    });
  }

  /** Ends a thread that stopped reporting, unless it is this thread that was held up (its check ran late). */
  private watch(): void {
    if (this.watchdog) return;
    let checkedAt = performance.now();
    this.watchdog = setInterval(() => {
      const now = performance.now();
      const late = now - checkedAt > 2 * HEARTBEAT_MS;
      checkedAt = now;
      if (!late && this.live && now - this.lastReportAt > WEDGED_MS) void this.kill(`no report for ${WEDGED_MS} ms`);
    }, HEARTBEAT_MS);
    this.watchdog.unref();
  }

  /**
   * Ends the worker abruptly, as a crash would: it is started again on the same port and its rooms are set
   * up as they were. The watchdog does it to a wedged thread; it is also the operator's (and a test's) way
   * to see a thread recover.
   */
  async kill(reason: string): Promise<void> {
    const worker = this.live;
    if (!worker) return;
    this.logger.error({ reason }, 'ending the media thread');
    await worker.terminate();
  }

  private onReport(report: Exclude<Report, { type: 'ready' }>): void {
    switch (report.type) {
      case 'heartbeat':
        this.health = report.health;
        this.lastReportAt = performance.now();
        if (report.health.latenessMs.length > 0) this.events.safeEmit('ticks', report.health.latenessMs, report.health.mixMicros);
        return;
      case 'talking':
        this.events.safeEmit('talking', report.room, report.leg, report.talking);
        return;
      case 'dtmf':
        this.events.safeEmit('dtmf', report.room, report.leg, report.digit, report.durationMs);
        return;
      case 'reply': {
        const pending = this.pending.get(report.id);
        this.pending.delete(report.id);
        if (!pending) return;
        if (report.ok) pending.resolve(report.value);
        else pending.reject(new AppError(report.error.code, report.error.message, undefined, report.error.status));
        return;
      }
      case 'log':
        this.relayLog(report.line);
        return;
    }
  }

  private relayLog(line: string): void {
    try {
      const { level, msg, time: _time, pid: _pid, hostname: _hostname, ...fields } = JSON.parse(line) as Record<string, unknown>;
      const message = typeof msg === 'string' ? msg : 'media thread';
      if (typeof level === 'number' && level >= 50) this.logger.error(fields, message);
      else this.logger.warn(fields, message);
    } catch {
      this.logger.warn({ line }, 'unreadable log line from a media thread');
    }
  }

  private failPending(): void {
    const error = new AppError('media_thread_failed', `media thread ${this.index} stopped`);
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    const stats = this.health?.stats;
    if (stats) for (const key of COUNTERS) this.carried[key] += stats[key];
    this.health = undefined;
  }

  private restartAfterCrash(code: number): void {
    const delay = RESTART_DELAYS_MS[Math.min(this.crashes, RESTART_DELAYS_MS.length - 1)] as number;
    this.crashes++;
    this.logger.error({ code, restartInMs: delay }, 'media thread exited: restarting it on the same port');
    setTimeout(() => {
      if (this.closing) return;
      this.start().then(
        () => {
          this.restarts++;
          this.events.safeEmit('restarted');
          // Calm again after a minute: a later crash restarts quickly.
          setTimeout(() => (this.crashes = 0), 60_000).unref();
        },
        (error: unknown) => {
          if (this.closing) return;
          this.logger.error({ err: error }, 'restarting the media thread failed');
          this.restartAfterCrash(-1);
        },
      );
    }, delay).unref();
  }

  /** Fire and forget; dropped while the thread restarts (the restart sets every room up again). */
  send(command: Command): void {
    this.live?.postMessage(command);
  }

  request<T>(body: RequestBody): Promise<T> {
    const worker = this.live;
    if (!worker) return Promise.reject(new AppError('media_thread_failed', `media thread ${this.index} is restarting`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage({ ...body, id });
    });
  }

  /** Alive, reporting, and its clock ticking. */
  healthy(): boolean {
    return this.live !== undefined && performance.now() - this.lastReportAt <= SILENCE_LIMIT_MS && (this.health?.timerHealthy ?? true);
  }

  /** The last heartbeat's figures (up to half a second old), counters including earlier workers'. */
  lastHealth(): ThreadHealth | undefined {
    return this.health;
  }

  stats(): EngineStats {
    const stats = this.health?.stats;
    const out: EngineStats = { ...this.carried, rooms: stats?.rooms ?? 0, legs: stats?.legs ?? 0 };
    if (stats) for (const key of COUNTERS) out[key] += stats[key];
    return out;
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.watchdog);
    const worker = this.worker;
    if (!worker) return;
    // A second at most for the worker to finish its files; then it is ended regardless.
    await Promise.race([this.request({ op: 'close' }).catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    this.worker = undefined;
    this.live = undefined;
    this.failPending();
    await worker.terminate();
  }
}
