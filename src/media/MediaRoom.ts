import { roomErrors } from './roomErrors';
import { addInto, minusInto } from './mixFrame';
import { FRAME, MediaLeg, type Codec } from './MediaLeg';
import { rms } from './TalkDetector';
import { Player, type SoundLibrary } from './sounds';
import { ulawDecodeInto, ulawEncodeInto } from './ulaw';
import { writeRtpHeader } from './rtp';
import { WavRecorder } from './wav';

export interface RoomHost {
  sounds: SoundLibrary;
  legAdded(leg: MediaLeg): void;
  legRemoved(leg: MediaLeg): void;
  send(leg: MediaLeg, packet: Buffer): void;
}

/** Concealment: the last frame again, at half level, then silence (JitterBuffer goes idle). */
const CONCEAL_GAIN = 0.5;

/** One conference's mix: every tick, each listener gets everyone but themselves. */
export class MediaRoom {
  private readonly legs = new Map<string, MediaLeg>();
  /** The same legs as an array: iterating a Map allocates an iterator every tick. */
  private order: MediaLeg[] = [];
  private readonly sum = new Int32Array(FRAME);
  private readonly out = new Int32Array(FRAME);
  private readonly scratch = new Int16Array(FRAME);
  private readonly shared = new Uint8Array(FRAME);
  private announcement: Player | undefined;
  private readonly queue: { player: Player; resolve: (r: 'done' | 'failed') => void }[] = [];
  private recorder: WavRecorder | undefined;
  private recordingPaused = false;
  private closed = false;

  constructor(
    readonly id: string,
    private readonly host: RoomHost,
  ) {}

  get size(): number {
    return this.legs.size;
  }

  addLeg(options: { participantId: string; codec: Codec | 'slin16' | 'g722' }): MediaLeg {
    if (options.codec !== 'ulaw') throw roomErrors.unsupportedCodec(options.codec);
    if (this.legs.has(options.participantId)) throw roomErrors.duplicateLeg(options.participantId);
    const leg = new MediaLeg(options.participantId, options.codec, (l) => this.host.legAdded(l));
    this.legs.set(options.participantId, leg);
    this.order = [...this.legs.values()];
    return leg;
  }

  leg(participantId: string): MediaLeg {
    const leg = this.legs.get(participantId);
    if (!leg) throw roomErrors.legNotFound(participantId);
    return leg;
  }

  removeLeg(participantId: string): void {
    const leg = this.legs.get(participantId);
    if (!leg) return;
    this.legs.delete(participantId);
    this.order = [...this.legs.values()];
    const pending = leg.private;
    leg.private = undefined;
    pending?.finished?.();
    if (leg.detector.talking) leg.events.safeEmit('talking', false);
    leg.events.removeAllListeners();
    this.host.legRemoved(leg);
  }

  /** One period: pull, mix, record, send. Called by the engine on the conference timer. */
  tick(): void {
    const sum = this.sum;
    sum.fill(0);
    const legs = this.order;
    for (let l = 0; l < legs.length; l++) {
      const leg = legs[l] as MediaLeg;
      const result = leg.jitter.pop(leg.payload);
      if (result === 'frame') {
        ulawDecodeInto(leg.payload, 0, leg.input, FRAME);
        leg.hasInput = true;
      } else if (result === 'conceal' && leg.hasInput) {
        for (let i = 0; i < FRAME; i++) leg.input[i] = Math.round((leg.input[i] as number) * CONCEAL_GAIN);
      } else {
        leg.input.fill(0);
        leg.hasInput = false;
      }
      const change = leg.hasInput ? leg.detector.feed(rms(leg.input, FRAME)) : leg.detector.silence();
      if (change !== null) leg.events.safeEmit('talking', change);
      if (leg.talk && leg.hasInput) addInto(sum, leg.input, leg.talkGain);
    }
    if (this.announcement) {
      this.announcement.next(this.scratch);
      addInto(sum, this.scratch, 1);
      if (this.announcement.done) this.nextAnnouncement();
    }
    if (!this.recordingPaused) this.recorder?.write(sum, FRAME);
    let sharedReady = false;
    for (let l = 0; l < legs.length; l++) {
      const leg = legs[l] as MediaLeg;
      if (leg.address === undefined) continue;
      const packet = leg.packets[leg.packetIndex] as Buffer;
      leg.packetIndex ^= 1;
      const own = leg.private ?? leg.music;
      if (own) {
        own.next(this.scratch);
        ulawEncodeInto(this.scratch, packet, 12, FRAME);
        if (leg.private?.done) {
          const finished = leg.private.finished;
          leg.private = undefined;
          finished?.();
        }
      } else if (!leg.listen) {
        this.scratch.fill(0);
        ulawEncodeInto(this.scratch, packet, 12, FRAME);
      } else if ((!leg.talk || !leg.hasInput) && leg.listenGain === 1) {
        // Everyone who adds nothing to the mix hears the same frame: encode it once.
        if (!sharedReady) {
          ulawEncodeInto(sum, this.shared, 0, FRAME);
          sharedReady = true;
        }
        packet.set(this.shared, 12);
      } else {
        minusInto(this.out, sum, leg.talk && leg.hasInput ? leg.input : null, leg.talkGain, leg.listenGain);
        ulawEncodeInto(this.out, packet, 12, FRAME);
      }
      writeRtpHeader(packet, 0, leg.sequence, leg.timestamp, leg.ssrc);
      leg.sequence = (leg.sequence + 1) & 0xffff;
      // Kept as a signed 32-bit value (the header writer takes the same bits): never a boxed number.
      leg.timestamp = (leg.timestamp + FRAME) | 0;
      leg.sent++;
      this.host.send(leg, packet);
    }
  }

  private nextAnnouncement(): void {
    const current = this.queue.shift();
    current?.resolve('done');
    this.announcement = this.queue[0]?.player;
  }

  /** Into the mix for everyone; resolves when it finished. */
  playToAll(media: string[]): Promise<'done' | 'failed'> {
    const { parts } = this.host.sounds.resolve(media);
    if (parts.length === 0 || this.closed) return Promise.resolve('failed');
    return new Promise((resolve) => {
      const player = new Player(parts, false);
      this.queue.push({ player, resolve });
      if (!this.announcement) this.announcement = player;
    });
  }

  /** To one participant instead of the conference; resolves when it finished. */
  playTo(participantId: string, media: string[]): Promise<'done' | 'failed'> {
    const leg = this.leg(participantId);
    const { parts } = this.host.sounds.resolve(media);
    if (parts.length === 0) return Promise.resolve('failed');
    return new Promise((resolve) => {
      leg.private?.finished?.();
      leg.private = new Player(parts, false, () => resolve(this.legs.get(participantId) === leg ? 'done' : 'failed'));
    });
  }

  startMusic(participantId: string): void {
    const leg = this.leg(participantId);
    if (!leg.music) leg.music = new Player(this.host.sounds.music(), true);
  }

  stopMusic(participantId: string): void {
    const leg = this.legs.get(participantId);
    if (leg) leg.music = undefined;
  }

  async startRecording(path: string): Promise<void> {
    if (this.recorder) throw roomErrors.alreadyRecording();
    this.recorder = new WavRecorder(path);
    this.recordingPaused = false;
  }

  pauseRecording(paused: boolean): void {
    this.recordingPaused = paused;
  }

  async stopRecording(): Promise<{ path: string; seconds: number }> {
    const recorder = this.recorder;
    if (!recorder) throw roomErrors.notRecording();
    this.recorder = undefined;
    recorder.close();
    return { path: recorder.path, seconds: recorder.seconds };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.recorder?.close();
    this.recorder = undefined;
    for (const item of this.queue.splice(0)) item.resolve('failed');
    this.announcement = undefined;
    for (const id of [...this.legs.keys()]) this.removeLeg(id);
  }

  /** Test and metrics view. */
  legsList(): readonly MediaLeg[] {
    return this.order;
  }
}
