import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../../lib/logger';
import { TypedEmitter } from '../../lib/TypedEmitter';
import type { TimerStats } from '../../timing/ConferenceTimer';
import type { EngineStats } from '../MediaEngine';
import { PTIME_MS } from '../MediaLeg';
import { MediaThread } from './MediaThread';
import { RemoteRoom } from './RemoteRoom';
import type { RoomAudio } from '../voice';

export interface MediaThreadsOptions {
  /** How many media threads; each has its own RTP port (port, port + 1, ...) and its own clock. */
  threads: number;
  bindAddress: string;
  /** The first thread's port; 0 lets every thread pick a free one. */
  port: number;
  soundsDir: string;
  musicDir: string;
  tickLeadMs: number;
  /** A thread with no rooms for this long stops its clock until the next room (default 10 s). */
  idleClockStopMs?: number;
  /** A shared Float64 send deadline for every thread (MediaEngineOptions.sendDeadline). */
  sendDeadline?: SharedArrayBuffer;
  logger: Logger;
}

/** The most media threads the default gives (so the most RTP ports a default install needs). */
export const MAX_DEFAULT_THREADS = 8;

/** One media thread per core by default: a thread per core is what keeps receiving and mixing apart. */
export function defaultThreadCount(): number {
  return Math.max(1, Math.min(MAX_DEFAULT_THREADS, availableParallelism()));
}

export interface ThreadReport {
  index: number;
  port: number;
  healthy: boolean;
  restarts: number;
  rooms: number;
  legs: number;
  timer: TimerStats | undefined;
  heapUsed: number | undefined;
  gcs: number | undefined;
}

/**
 * The app mixer's media engine spread over worker threads. A conference lives on one thread (its whole
 * mix is there); new conferences go to the thread with the least work.
 */
export class MediaThreads {
  readonly events = new TypedEmitter<{ ticks: [latenessMs: number[], mixMicros: number[]] }>();
  private readonly threads: MediaThread[] = [];
  private readonly rooms = new Map<string, RemoteRoom>();

  constructor(private readonly options: MediaThreadsOptions) {
    // Threads tick at evenly spread phases of one schedule: ticking all at once, they would contend for the
    // cores at the same instant (measured on two cores: p99 lateness 0.05 ms spread, 2.7 ms together). A
    // restarted thread keeps its phase, so Asterisk sees no jump in a room's timing.
    const count = Math.max(1, options.threads);
    const epochMs = performance.timeOrigin + performance.now();
    for (let index = 0; index < count; index++) {
      const thread = new MediaThread(
        {
          index,
          bindAddress: options.bindAddress,
          port: options.port === 0 ? 0 : options.port + index,
          soundsDir: options.soundsDir,
          musicDir: options.musicDir,
          tickLeadMs: options.tickLeadMs,
          epochMs: epochMs + (index * PTIME_MS) / count,
          idleClockStopMs: options.idleClockStopMs ?? 10_000,
          ...(options.sendDeadline ? { sendDeadline: options.sendDeadline } : {}),
        },
        options.logger.child({ component: 'media', thread: index }),
      );
      thread.events.on('talking', (room, leg, talking) => this.rooms.get(room)?.find(leg)?.talkingChanged(talking));
      thread.events.on('dtmf', (room, leg, digit, durationMs) =>
        this.rooms.get(room)?.find(leg)?.events.safeEmit('dtmf', digit, durationMs),
      );
      thread.events.on('ticks', (lateness, micros) => this.events.safeEmit('ticks', lateness, micros));
      thread.events.on('restarted', () => {
        for (const room of this.rooms.values()) if (room.thread === thread) room.replay();
      });
      this.threads.push(thread);
    }
  }

  /** Binds every thread's socket and starts its clock; the ports, in thread order. */
  async start(): Promise<number[]> {
    try {
      return await Promise.all(this.threads.map((t) => t.start()));
    } catch (error) {
      await this.close();
      throw error;
    }
  }

  get ports(): number[] {
    return this.threads.map((t) => t.port);
  }

  createRoom(roomId: string, audio?: RoomAudio): RemoteRoom {
    const existing = this.rooms.get(roomId);
    if (existing) return existing;
    const room = new RemoteRoom(roomId, this.leastBusy(), this.options.logger.child({ component: 'media' }), audio);
    this.rooms.set(roomId, room);
    return room;
  }

  private leastBusy(): MediaThread {
    const load = new Map<MediaThread, number>(this.threads.map((t) => [t, 0]));
    // An empty room counts too, so conferences opened together still spread.
    for (const room of this.rooms.values()) load.set(room.thread, (load.get(room.thread) ?? 0) + 1 + room.size);
    let best = this.threads[0] as MediaThread;
    for (const thread of this.threads) if ((load.get(thread) ?? 0) < (load.get(best) ?? 0)) best = thread;
    return best;
  }

  closeRoom(roomId: string): void {
    this.rooms.get(roomId)?.close();
    this.rooms.delete(roomId);
  }

  /** Every thread alive, reporting and ticking. */
  healthy(): boolean {
    return this.threads.every((t) => t.healthy());
  }

  /** Totals over all threads, as of their last heartbeat (at most half a second old). */
  stats(): EngineStats {
    const total: EngineStats = {
      packetsIn: 0,
      packetsOut: 0,
      lost: 0,
      late: 0,
      reordered: 0,
      duplicate: 0,
      concealed: 0,
      foreign: 0,
      malformed: 0,
      rooms: 0,
      legs: 0,
    };
    for (const thread of this.threads) {
      const s = thread.stats();
      for (const key of Object.keys(total) as (keyof EngineStats)[]) total[key] += s[key];
    }
    return total;
  }

  report(): ThreadReport[] {
    return this.threads.map((t) => {
      const health = t.lastHealth();
      const s = t.stats();
      return {
        index: t.index,
        port: t.port,
        healthy: t.healthy(),
        restarts: t.restarts,
        rooms: s.rooms,
        legs: s.legs,
        timer: health?.timer ?? undefined,
        heapUsed: health?.heapUsed,
        gcs: health?.gcs,
      };
    });
  }

  /** Starts every thread's timer statistics afresh (the bench's measured window). */
  resetStats(): void {
    for (const thread of this.threads) thread.send({ op: 'resetStats' });
  }

  /** Diagnostics: ends one thread abruptly, as a crash (or the watchdog) would; it is restarted and its rooms set up again. */
  kill(index: number, reason: string): Promise<void> {
    return this.threads[index]?.kill(reason) ?? Promise.resolve();
  }

  async close(): Promise<void> {
    for (const id of [...this.rooms.keys()]) this.closeRoom(id);
    await Promise.all(this.threads.map((t) => t.close()));
  }
}
