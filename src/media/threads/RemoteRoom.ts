import { roomErrors } from '../roomErrors';
import type { Logger } from '../../lib/logger';
import { TypedEmitter } from '../../lib/TypedEmitter';
import type { Codec, LegGain } from '../MediaLeg';
import { DEFAULT_AUDIO, type RoomAudio } from '../voice';
import type { MediaThread } from './MediaThread';
import type { Command } from './protocol';

/**
 * A participant's leg on a media thread, as the main thread knows it. Every setting is kept here too,
 * so a restarted thread can be given the leg back exactly as it was.
 */
export class RemoteLeg {
  readonly events = new TypedEmitter<{ talking: [talking: boolean]; dtmf: [digit: string, durationMs: number] }>();
  address: string | undefined;
  port = 0;
  dtmfPayloadType: number | undefined;
  talk = true;
  listen = true;
  gain: LegGain = {};
  music = false;
  talking = false;
  /** The path of this participant's own recording while it runs. */
  recording: string | undefined;

  constructor(
    readonly participantId: string,
    readonly codec: Codec,
    private readonly room: RemoteRoom,
  ) {}

  /** `dtmfPayloadType`: the far end sends RFC 4733 straight to us (direct media), for the thread to read. */
  setRemote(address: string, port: number, dtmfPayloadType?: number): void {
    this.address = address;
    this.port = port;
    this.dtmfPayloadType = dtmfPayloadType;
    this.room.command({
      op: 'setRemote',
      leg: this.participantId,
      address,
      port,
      ...(dtmfPayloadType === undefined ? {} : { dtmfPayloadType }),
    });
  }

  setTalk(enabled: boolean): void {
    this.talk = enabled;
    this.room.command({ op: 'setLeg', leg: this.participantId, talk: enabled });
  }

  setListen(enabled: boolean): void {
    this.listen = enabled;
    this.room.command({ op: 'setLeg', leg: this.participantId, listen: enabled });
  }

  setGain(gain: LegGain): void {
    this.gain = { ...this.gain, ...gain };
    this.room.command({ op: 'setLeg', leg: this.participantId, gain });
  }

  /** From the thread; only changes are passed on (a restart may report a state twice). */
  talkingChanged(talking: boolean): void {
    if (talking === this.talking) return;
    this.talking = talking;
    this.events.safeEmit('talking', talking);
  }
}

/** A command about one leg, without the room: the room adds its own id. */
type LegCommand<C = Command> = C extends { room: string; leg: string } ? Omit<C, 'room'> : never;

/**
 * A conference's mix on one media thread: the same operations as a MediaRoom, sent as messages.
 * Checks that need the room's state (is there such a leg?) are answered here, synchronously, as the
 * local room would.
 */
export class RemoteRoom {
  /** A recording ended by a restart of its thread (its file valid up to the crash, bar the header): `leg` for a leg's own. */
  readonly events = new TypedEmitter<{ recordingLost: [leg: string | undefined] }>();
  private readonly legs = new Map<string, RemoteLeg>();
  /** `lost`: its thread restarted, so the file ended there; stopping it only forgets it. */
  private recording: { path: string; lost: boolean } | undefined;
  closed = false;

  constructor(
    readonly id: string,
    readonly thread: MediaThread,
    private readonly logger: Logger,
    private readonly audio: RoomAudio = DEFAULT_AUDIO,
  ) {
    thread.send({ op: 'createRoom', room: id, audio });
  }

  /** The UDP port Asterisk sends this room's RTP to. */
  get port(): number {
    return this.thread.port;
  }

  get size(): number {
    return this.legs.size;
  }

  command(body: LegCommand): void {
    this.thread.send({ ...body, room: this.id });
  }

  addLeg(options: { participantId: string; codec: Codec | 'slin16' }): RemoteLeg {
    const { codec } = options;
    if (codec !== 'ulaw' && codec !== 'g722') throw roomErrors.unsupportedCodec(codec);
    if (this.legs.has(options.participantId)) throw roomErrors.duplicateLeg(options.participantId);
    const leg = new RemoteLeg(options.participantId, codec, this);
    this.legs.set(options.participantId, leg);
    this.command({ op: 'addLeg', leg: options.participantId, codec });
    return leg;
  }

  leg(participantId: string): RemoteLeg {
    const leg = this.legs.get(participantId);
    if (!leg) throw roomErrors.legNotFound(participantId);
    return leg;
  }

  find(participantId: string): RemoteLeg | undefined {
    return this.legs.get(participantId);
  }

  removeLeg(participantId: string): void {
    const leg = this.legs.get(participantId);
    if (!leg) return;
    this.legs.delete(participantId);
    this.command({ op: 'removeLeg', leg: participantId });
    // The thread's "stopped talking" would arrive after the listeners are gone: say it here.
    leg.talkingChanged(false);
    leg.events.removeAllListeners();
  }

  /** Into the mix for everyone; resolves when it finished. */
  async playToAll(media: string[]): Promise<'done' | 'failed'> {
    if (this.closed) return 'failed';
    return this.play(null, media);
  }

  /** To one participant instead of the conference; resolves when it finished. */
  async playTo(participantId: string, media: string[]): Promise<'done' | 'failed'> {
    this.leg(participantId);
    return this.play(participantId, media);
  }

  private async play(leg: string | null, media: string[]): Promise<'done' | 'failed'> {
    try {
      return await this.thread.request<'done' | 'failed'>({ op: 'play', room: this.id, leg, media });
    } catch (error) {
      this.logger.warn({ err: error, room: this.id }, 'playing on the media thread failed');
      return 'failed';
    }
  }

  startMusic(participantId: string): void {
    const leg = this.leg(participantId);
    leg.music = true;
    this.command({ op: 'music', leg: participantId, on: true });
  }

  stopMusic(participantId: string): void {
    const leg = this.legs.get(participantId);
    if (!leg) return;
    leg.music = false;
    this.command({ op: 'music', leg: participantId, on: false });
  }

  async startRecording(path: string): Promise<void> {
    if (this.recording && !this.recording.lost) throw roomErrors.alreadyRecording();
    await this.thread.request({ op: 'startRecording', room: this.id, path });
    this.recording = { path, lost: false };
  }

  pauseRecording(paused: boolean): void {
    this.thread.send({ op: 'pauseRecording', room: this.id, paused });
  }

  async stopRecording(): Promise<void> {
    const recording = this.recording;
    if (!recording) throw roomErrors.notRecording();
    this.recording = undefined;
    if (!recording.lost) await this.thread.request({ op: 'stopRecording', room: this.id });
  }

  /** One participant's own audio to its own file. */
  async startLegRecording(participantId: string, path: string): Promise<void> {
    const leg = this.leg(participantId);
    if (leg.recording) throw roomErrors.alreadyRecording();
    await this.thread.request({ op: 'startLegRecording', room: this.id, leg: participantId, path });
    leg.recording = path;
  }

  /** Stops it; resolves with the file's path (whether the thread still had it or not). */
  async stopLegRecording(participantId: string): Promise<string> {
    const leg = this.leg(participantId);
    const path = leg.recording;
    if (!path) throw roomErrors.notRecording();
    leg.recording = undefined;
    await this.thread.request({ op: 'stopLegRecording', room: this.id, leg: participantId }).catch((error: unknown) => {
      // Its thread restarted (the file ended there) or the leg's file was finished when it left.
      this.logger.warn({ err: error, room: this.id, participantId }, 'stopping a participant recording');
    });
    return path;
  }

  /** Sets the room up again on a restarted thread. A recording ends at the crash: its file is valid up to there. */
  replay(): void {
    this.thread.send({ op: 'createRoom', room: this.id, audio: this.audio });
    const lost: (string | undefined)[] = [];
    for (const leg of this.legs.values()) {
      if (leg.recording !== undefined) lost.push(leg.participantId);
      leg.recording = undefined;
      this.command({ op: 'addLeg', leg: leg.participantId, codec: leg.codec });
      if (leg.address !== undefined) leg.setRemote(leg.address, leg.port, leg.dtmfPayloadType);
      this.command({ op: 'setLeg', leg: leg.participantId, talk: leg.talk, listen: leg.listen, gain: leg.gain });
      if (leg.music) this.command({ op: 'music', leg: leg.participantId, on: true });
      leg.talkingChanged(false);
    }
    if (this.recording && !this.recording.lost) {
      this.logger.warn({ room: this.id, path: this.recording.path }, 'the recording ended when its media thread restarted');
      this.recording.lost = true;
      lost.unshift(undefined);
    }
    for (const leg of lost) this.events.safeEmit('recordingLost', leg);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.events.removeAllListeners();
    for (const id of [...this.legs.keys()]) this.removeLeg(id);
    this.recording = undefined;
    this.thread.send({ op: 'closeRoom', room: this.id });
  }
}
