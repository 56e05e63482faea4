import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../lib/logger';
import { addJitterTotals, type JitterTotals } from './JitterBuffer';
import { FRAME, type MediaLeg } from './MediaLeg';
import { MediaRoom, type RoomHost } from './MediaRoom';
import { parseTelephoneEvent } from './dtmf';
import { newRtpView, parseRtp, type RtpView } from './rtp';
import { SoundLibrary } from './sounds';

/**
 * What each media thread asks for as its UDP receive and send buffers (Linux caps them at net.core.rmem_max
 * and wmem_max; `ari-meetme doctor` warns when that is lower): a small one drops RTP in bursts when the
 * event loop stalls (seen in the engine benchmark).
 */
export const RTP_SOCKET_BUFFER = 4 * 1024 * 1024;

export interface MediaEngineOptions {
  bindAddress: string;
  /** 0 picks a free port. */
  port: number;
  ptimeMs: 20;
  soundsDir: string;
  musicDir: string;
  /**
   * When set, rooms mix and send only while `sendDeadline[0]` (ms on the `monotonicNow` scale) is ahead:
   * the owner of the deadline (a lease, see src/ha) moves it on, and a thread resumed after a freeze sends nothing.
   */
  sendDeadline?: Float64Array;
  logger: Logger;
}

/** Milliseconds on one scale for every thread: the wall clock at the thread's start plus monotonic time since. */
export function monotonicNow(): number {
  return performance.timeOrigin + performance.now();
}

export interface EngineStats {
  packetsIn: number;
  packetsOut: number;
  lost: number;
  late: number;
  reordered: number;
  duplicate: number;
  concealed: number;
  foreign: number;
  malformed: number;
  rooms: number;
  legs: number;
}

/**
 * The app's own media engine: one UDP socket for every leg (demultiplexed by the sender's address and
 * port, which is where Asterisk's externalMedia sends from), rooms mixed on each `tick()`.
 */
export class MediaEngine implements RoomHost {
  readonly sounds: SoundLibrary;
  private socket: Socket | undefined;
  private readonly rooms = new Map<string, MediaRoom>();
  private readonly bySender = new Map<string, Map<number, MediaLeg>>();
  private readonly view = newRtpView();
  /** Rooms closed whose recordings are still being written. */
  private readonly closing = new Set<Promise<void>>();
  private counters = { packetsIn: 0, packetsOut: 0, foreign: 0, malformed: 0 };
  /** Past the send deadline: this tick mixes nothing and sends nothing. */
  private fenced = false;
  private closedLegs: JitterTotals = { lost: 0, late: 0, reordered: 0, duplicate: 0, concealed: 0 };

  constructor(private readonly options: MediaEngineOptions) {
    this.sounds = new SoundLibrary(options.soundsDir, options.musicDir);
  }

  /** Reads the music directory, then binds the socket. */
  async start(): Promise<{ address: string; port: number }> {
    await this.sounds.load();
    const socket = createSocket({ type: 'udp4', recvBufferSize: RTP_SOCKET_BUFFER, sendBufferSize: RTP_SOCKET_BUFFER });
    socket.on('message', (msg, rinfo) => this.receive(msg, rinfo));
    socket.on('error', (error) => this.options.logger.error({ err: error }, 'RTP socket error'));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.options.port, this.options.bindAddress, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    this.socket = socket;
    return socket.address();
  }

  get address(): { address: string; port: number } | undefined {
    return this.socket?.address();
  }

  private receive(msg: Buffer, rinfo: RemoteInfo): void {
    const leg = this.bySender.get(rinfo.address)?.get(rinfo.port);
    if (!leg) {
      // Only Asterisk's externalMedia address and port may feed a leg; anything else is dropped.
      this.counters.foreign++;
      return;
    }
    const view = this.view;
    if (parseRtp(msg, msg.length, view) !== null) {
      this.counters.malformed++;
      return;
    }
    if (view.payloadType === leg.dtmfPayloadType) {
      this.receiveDtmf(leg, msg, view);
      return;
    }
    // chan_rtp sends the leg's format only: u-law as PT 0, G.722 as PT 9, both 160 bytes a 20 ms frame
    // (FINDINGS "externalMedia"): a header alone, another size or another payload type is not audio we can mix.
    if (view.payloadType !== leg.payloadType || view.payloadLength !== FRAME) {
      this.counters.malformed++;
      return;
    }
    const verdict = leg.source.classify(view.ssrc, view.sequence);
    if (verdict === 'foreign') {
      this.counters.foreign++;
      return;
    }
    const held = leg.heldSeq;
    leg.heldSeq = -1;
    if (verdict === 'confirmed') {
      // The stream jumped: the packet held back was its first after the jump.
      leg.jitter.continueAt(held);
      leg.jitter.push(held, leg.held, 0, FRAME);
      this.counters.packetsIn++;
    } else if (held >= 0) this.counters.foreign++;
    if (verdict === 'jump') {
      for (let i = 0; i < FRAME; i++) leg.held[i] = msg[view.payloadOffset + i] as number;
      leg.heldSeq = view.sequence;
      return;
    }
    if (verdict === 'restart') {
      leg.jitter.continueAt(view.sequence);
      leg.dtmf.reset();
    }
    leg.dtmf.audio();
    this.counters.packetsIn++;
    leg.jitter.push(view.sequence, msg, view.payloadOffset, view.payloadLength);
  }

  /** RFC 4733 from a phone sending straight to us: only in the stream's SSRC, whatever its sequence (see DtmfReceiver). */
  private receiveDtmf(leg: MediaLeg, msg: Buffer, view: RtpView): void {
    const event = parseTelephoneEvent(msg, view.payloadOffset, view.payloadLength);
    if (!event) {
      this.counters.malformed++;
      return;
    }
    if (!leg.source.isCurrent(view.ssrc)) {
      this.counters.foreign++;
      return;
    }
    this.counters.packetsIn++;
    leg.dtmf.event(view.timestamp, event);
  }

  createRoom(roomId: string): MediaRoom {
    const existing = this.rooms.get(roomId);
    if (existing) return existing;
    const room = new MediaRoom(roomId, this);
    this.rooms.set(roomId, room);
    return room;
  }

  get roomCount(): number {
    return this.rooms.size;
  }

  room(roomId: string): MediaRoom | undefined {
    return this.rooms.get(roomId);
  }

  /** Takes the room out of the mix at once; resolves when its recording, if any, is complete on disk. */
  closeRoom(roomId: string): Promise<void> {
    const room = this.rooms.get(roomId);
    if (!room) return Promise.resolve();
    this.rooms.delete(roomId);
    const closed = room
      .close()
      .catch((error: unknown) => this.options.logger.error({ err: error, room: roomId }, 'finishing the recording failed'));
    this.closing.add(closed);
    return closed.finally(() => this.closing.delete(closed));
  }

  legAdded(leg: MediaLeg): void {
    for (const [address, ports] of this.bySender) {
      for (const [port, l] of ports) if (l === leg && (address !== leg.address || port !== leg.port)) ports.delete(port);
    }
    if (leg.address === undefined) return;
    let ports = this.bySender.get(leg.address);
    if (!ports) {
      ports = new Map();
      this.bySender.set(leg.address, ports);
    }
    ports.set(leg.port, leg);
  }

  legRemoved(leg: MediaLeg): void {
    if (leg.address !== undefined) {
      const ports = this.bySender.get(leg.address);
      if (ports?.get(leg.port) === leg) ports.delete(leg.port);
      if (ports?.size === 0) this.bySender.delete(leg.address);
    }
    addJitterTotals(this.closedLegs, leg.jitter.stats);
  }

  send(leg: MediaLeg, packet: Buffer): void {
    if (!this.socket || leg.address === undefined || this.fenced) return;
    this.counters.packetsOut++;
    // The whole buffer, no offset and length: with them dgram makes a new Buffer view for every packet.
    this.socket.send(packet, leg.port, leg.address);
  }

  /** One mixing period for every room; returns how long it took, in microseconds. */
  tick(): number {
    const start = performance.now();
    const deadline = this.options.sendDeadline;
    this.fenced = deadline !== undefined && monotonicNow() >= (deadline[0] as number);
    if (this.fenced) return 0;
    for (const room of this.rooms.values()) {
      try {
        room.tick();
      } catch (error) {
        this.options.logger.error({ err: error, room: room.id }, 'mixing a room failed');
      }
    }
    return (performance.now() - start) * 1000;
  }

  stats(): EngineStats {
    const totals = { ...this.closedLegs };
    let legs = 0;
    for (const room of this.rooms.values()) {
      legs += room.size;
      room.addLegStats(totals);
    }
    return { ...this.counters, ...totals, rooms: this.rooms.size, legs };
  }

  async close(): Promise<void> {
    for (const id of [...this.rooms.keys()]) void this.closeRoom(id);
    await Promise.all(this.closing);
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}
