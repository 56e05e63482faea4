/**
 * One media thread: its own RTP socket, its own rooms, mixed on its own drift-free clock. Nothing
 * here is shared with the main thread but messages, so a burst of ARI or HTTP work never delays a mix,
 * and each thread's receive path has a core's headroom of its own.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import pino from 'pino';
import { AppError } from '../../lib/errors';
import { ConferenceTimer, type TickInfo } from '../../timing/ConferenceTimer';
import { MediaEngine } from '../MediaEngine';
import { PTIME_MS } from '../MediaLeg';
import type { MediaRoom } from '../MediaRoom';
import type { Command, Report, Request, ThreadOptions } from './protocol';

const port = parentPort;
if (!port) throw new Error('the media thread runs as a worker');
const options = workerData as ThreadOptions;
const post = (report: Report) => port.postMessage(report);

// Log lines go to the main thread, which writes them with its own logger and destination.
const logger = pino({ level: 'warn', base: null }, { write: (line: string) => post({ type: 'log', line }) });

const engine = new MediaEngine({
  bindAddress: options.bindAddress,
  port: options.port,
  ptimeMs: PTIME_MS,
  soundsDir: options.soundsDir,
  musicDir: options.musicDir,
  ...(options.sendDeadline ? { sendDeadline: new Float64Array(options.sendDeadline) } : {}),
  logger,
});

/** Per-tick figures since the last heartbeat, in preallocated arrays: nothing is allocated per tick. */
const BATCH = 256;
const lateness = new Float64Array(BATCH);
const micros = new Float64Array(BATCH);
let batched = 0;
function onTick(tick: TickInfo): void {
  const spent = engine.tick();
  if (batched < BATCH) {
    lateness[batched] = tick.latenessMs;
    micros[batched] = spent;
    batched++;
  }
}

// A running clock spins a little before every deadline (measured: 2.5% of a core per thread), so a thread
// with no rooms for options.idleClockStopMs stops it, and the next room starts it on the same schedule.
let timer: ConferenceTimer | undefined;
let idleSince = performance.now();

function startClock(): void {
  if (timer) return;
  timer = new ConferenceTimer({ intervalMs: PTIME_MS, leadMs: options.tickLeadMs, epochMs: options.epochMs, logger });
  timer.on('tick', onTick);
  timer.begin();
}

function stopClockWhenIdle(): void {
  if (engine.roomCount > 0) idleSince = performance.now();
  else if (timer && performance.now() - idleSince > options.idleClockStopMs) {
    const idle = timer;
    timer = undefined;
    void idle.stop();
  }
}

let gcs = 0;
new PerformanceObserver((list) => {
  gcs += list.getEntries().length;
}).observe({ entryTypes: ['gc'] });

function heartbeat(): void {
  stopClockWhenIdle();
  post({
    type: 'heartbeat',
    health: {
      stats: engine.stats(),
      timer: timer?.stats() ?? null,
      // A thread with no rooms has stopped its clock on purpose; it had ticked from its start.
      timerHealthy: timer?.healthy() ?? true,
      heapUsed: process.memoryUsage().heapUsed,
      gcs,
      latenessMs: Array.from(lateness.subarray(0, batched)),
      mixMicros: Array.from(micros.subarray(0, batched)),
    },
  });
  batched = 0;
}

function room(id: string): MediaRoom {
  const found = engine.room(id);
  if (!found) throw new AppError('room_not_found', `no media room ${id} on this thread`);
  return found;
}

async function answer(request: Request): Promise<unknown> {
  switch (request.op) {
    case 'play':
      return request.leg === null ? room(request.room).playToAll(request.media) : room(request.room).playTo(request.leg, request.media);
    case 'startRecording':
      return room(request.room).startRecording(request.path);
    case 'stopRecording':
      return room(request.room).stopRecording();
    case 'startLegRecording':
      return room(request.room).startLegRecording(request.leg, request.path);
    case 'stopLegRecording':
      return room(request.room).stopLegRecording(request.leg);
    case 'close':
      await timer?.stop();
      await engine.close();
      return null;
  }
}

function handle(command: Command): void {
  switch (command.op) {
    case 'createRoom':
      startClock();
      idleSince = performance.now();
      {
        const created = engine.createRoom(command.room);
        if (command.audio) created.configure(command.audio);
      }
      return;
    case 'closeRoom':
      void engine.closeRoom(command.room);
      return;
    case 'addLeg': {
      const leg = room(command.room).addLeg({ participantId: command.leg, codec: command.codec });
      leg.events.on('talking', (talking) => post({ type: 'talking', room: command.room, leg: command.leg, talking }));
      leg.events.on('dtmf', (digit, durationMs) => post({ type: 'dtmf', room: command.room, leg: command.leg, digit, durationMs }));
      return;
    }
    case 'removeLeg':
      room(command.room).removeLeg(command.leg);
      return;
    case 'setRemote': {
      const leg = room(command.room).leg(command.leg);
      leg.dtmfPayloadType = command.dtmfPayloadType ?? -1;
      leg.setRemote(command.address, command.port);
      return;
    }
    case 'setLeg': {
      const leg = room(command.room).leg(command.leg);
      if (command.talk !== undefined) leg.setTalk(command.talk);
      if (command.listen !== undefined) leg.setListen(command.listen);
      if (command.gain) leg.setGain(command.gain);
      return;
    }
    case 'music':
      if (command.on) room(command.room).startMusic(command.leg);
      else room(command.room).stopMusic(command.leg);
      return;
    case 'pauseRecording':
      room(command.room).pauseRecording(command.paused);
      return;
    case 'resetStats':
      timer?.resetStats();
      return;
    default: {
      const request = command;
      answer(request).then(
        (value) => post({ type: 'reply', id: request.id, ok: true, value }),
        (error: unknown) => {
          const e =
            error instanceof AppError ? error : new AppError('media_thread_error', error instanceof Error ? error.message : String(error));
          post({ type: 'reply', id: request.id, ok: false, error: { code: e.code, message: e.message, status: e.status } });
        },
      );
    }
  }
}

port.on('message', (command: Command) => {
  try {
    handle(command);
  } catch (error) {
    // The main thread checks every command before sending it; one that still fails is logged, never fatal.
    logger.error({ err: error, op: command.op }, 'media thread command failed');
  }
});

void engine.start().then(
  (address) => {
    startClock();
    setInterval(heartbeat, options.heartbeatMs);
    post({ type: 'ready', port: address.port });
  },
  (error: unknown) => {
    // Thrown out of the worker: the main thread's start() rejects with it (a port in use, say).
    setImmediate(() => {
      throw error;
    });
  },
);
