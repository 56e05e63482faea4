import type { ErrorCode } from '../../lib/errors';
import type { TimerStats } from '../../timing/ConferenceTimer';
import type { EngineStats } from '../MediaEngine';
import type { Codec, LegGain } from '../MediaLeg';
import type { RoomAudio } from '../voice';

/** What a media thread is started with (workerData). */
export interface ThreadOptions {
  index: number;
  bindAddress: string;
  /** 0 picks a free port. */
  port: number;
  soundsDir: string;
  musicDir: string;
  tickLeadMs: number;
  /** The epoch (ms) this thread's clock counts from: its phase in the shared schedule. */
  epochMs: number;
  heartbeatMs: number;
  /** With no rooms for this long, the thread stops its clock until the next room. */
  idleClockStopMs: number;
  /** One Float64 deadline shared with the main thread (MediaEngineOptions.sendDeadline). */
  sendDeadline?: SharedArrayBuffer;
}

/** Main thread to media thread. Messages keep their order, so a leg is always created before it is changed. */
export type Command =
  | { op: 'createRoom'; room: string; audio?: RoomAudio }
  | { op: 'closeRoom'; room: string }
  | { op: 'addLeg'; room: string; leg: string; codec: Codec }
  | { op: 'removeLeg'; room: string; leg: string }
  /** `dtmfPayloadType`: RFC 4733 comes in this leg's RTP (a phone with direct media); absent, none does. */
  | { op: 'setRemote'; room: string; leg: string; address: string; port: number; dtmfPayloadType?: number }
  | { op: 'setLeg'; room: string; leg: string; talk?: boolean; listen?: boolean; gain?: LegGain }
  | { op: 'music'; room: string; leg: string; on: boolean }
  | { op: 'pauseRecording'; room: string; paused: boolean }
  | { op: 'resetStats' }
  | Request;

/** Commands that are answered with a `reply` carrying the same id. */
export type Request =
  | { op: 'play'; id: number; room: string; leg: string | null; media: string[] }
  | { op: 'startRecording'; id: number; room: string; path: string }
  | { op: 'stopRecording'; id: number; room: string }
  | { op: 'startLegRecording'; id: number; room: string; leg: string; path: string }
  | { op: 'stopLegRecording'; id: number; room: string; leg: string }
  /** Closes every room (recordings get their final header) and the socket, before the worker is ended. */
  | { op: 'close'; id: number };

export interface ThreadHealth {
  stats: EngineStats;
  /** null while the thread, having no rooms, has stopped its clock. */
  timer: TimerStats | null;
  timerHealthy: boolean;
  heapUsed: number;
  /** Garbage collections in this thread since it started. */
  gcs: number;
  /** Lateness (ms) and mixing time (µs) of each tick since the previous heartbeat. */
  latenessMs: number[];
  mixMicros: number[];
}

/** Media thread to main thread. */
export type Report =
  | { type: 'ready'; port: number }
  | { type: 'heartbeat'; health: ThreadHealth }
  | { type: 'talking'; room: string; leg: string; talking: boolean }
  /** A digit read from the leg's RFC 4733 packets, at its end. */
  | { type: 'dtmf'; room: string; leg: string; digit: string; durationMs: number }
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: { code: ErrorCode; message: string; status: number } }
  /** One pino JSON line, logged again by the main thread's logger. */
  | { type: 'log'; line: string };
