import { addJitterTotals, type JitterTotals } from './JitterBuffer';
import { roomErrors } from './roomErrors';
import { mix, newMixScratch } from './mixFrame';
import { FRAME, MediaLeg, type Codec } from './MediaLeg';
import { rms } from './TalkDetector';
import { Player, type SoundLibrary } from './sounds';
import { ulawDecodeInto } from './ulaw';
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
  private readonly mixScratch = newMixScratch(FRAME);
  /** This tick's frame of the announcement. */
  private readonly scratch = new Int16Array(FRAME);
  private announcement: Player | undefined;
  private readonly queue: { player: Player; resolve: (r: 'done' | 'failed') => void }[] = [];
  private recorder: WavRecorder | undefined;
  private recordingPaused = false;
  private recordingOpens = false;
  private loading: Promise<void> = Promise.resolve();
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

  /** One period: pull what each leg said, mix (the pure core), record, send. Called on the conference timer. */
  tick(): void {
    const legs = this.order;
    for (let l = 0; l < legs.length; l++) this.pull(legs[l] as MediaLeg);
    let extra: Int16Array | null = null;
    if (this.announcement) {
      this.announcement.next(this.scratch);
      extra = this.scratch;
      if (this.announcement.done) this.nextAnnouncement();
    }
    const sum = mix(legs, extra, this.mixScratch);
    if (!this.recordingPaused) this.recorder?.write(sum, FRAME);
    for (let l = 0; l < legs.length; l++) {
      const leg = legs[l] as MediaLeg;
      if (leg.address === undefined) continue;
      const packet = leg.packets[leg.packetIndex] as Buffer;
      writeRtpHeader(packet, 0, leg.sequence, leg.timestamp, leg.ssrc);
      leg.sequence = (leg.sequence + 1) & 0xffff;
      // Kept as a signed 32-bit value (the header writer takes the same bits): never a boxed number.
      leg.timestamp = (leg.timestamp + FRAME) | 0;
      leg.sent++;
      this.host.send(leg, packet);
    }
  }

  /** The leg's input for this tick (a frame, concealment or nothing), its talk state, and its own audio. */
  private pull(leg: MediaLeg): void {
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
    leg.packetIndex ^= 1;
    leg.out = leg.payloads[leg.packetIndex] as Uint8Array;
    const own = leg.private ?? leg.music;
    if (own) {
      own.next(leg.ownFrame);
      leg.own = leg.ownFrame;
      if (leg.private?.done) {
        const finished = leg.private.finished;
        leg.private = undefined;
        finished?.();
      }
    } else leg.own = null;
  }

  private nextAnnouncement(): void {
    const current = this.queue.shift();
    current?.resolve('done');
    this.announcement = this.queue[0]?.player;
  }

  /** The audio of `media`, read in call order: a prompt read from disk never overtakes one asked for after it. */
  private load(media: string[]): Promise<Int16Array[]> {
    const parts = this.loading.then(() => this.host.sounds.resolve(media)).then((r) => r.parts);
    this.loading = parts.then(
      () => undefined,
      () => undefined,
    );
    return parts;
  }

  /** Into the mix for everyone; resolves when it finished. */
  async playToAll(media: string[]): Promise<'done' | 'failed'> {
    const parts = await this.load(media);
    if (parts.length === 0 || this.closed) return 'failed';
    return new Promise((resolve) => {
      const player = new Player(parts, false);
      this.queue.push({ player, resolve });
      if (!this.announcement) this.announcement = player;
    });
  }

  /** To one participant instead of the conference; resolves when it finished. */
  playTo(participantId: string, media: string[]): Promise<'done' | 'failed'> {
    const leg = this.leg(participantId);
    return this.load(media).then((parts) => {
      if (parts.length === 0 || this.legs.get(participantId) !== leg) return 'failed';
      return new Promise((resolve) => {
        leg.private?.finished?.();
        leg.private = new Player(parts, false, () => resolve(this.legs.get(participantId) === leg ? 'done' : 'failed'));
      });
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
    if (this.recorder || this.recordingOpens) throw roomErrors.alreadyRecording();
    this.recordingOpens = true;
    try {
      const recorder = await WavRecorder.open(path);
      // Closed while the file was being created: it stays an empty, valid WAV.
      if (this.closed) return await recorder.close();
      this.recorder = recorder;
      this.recordingPaused = false;
    } finally {
      this.recordingOpens = false;
    }
  }

  pauseRecording(paused: boolean): void {
    this.recordingPaused = paused;
  }

  async stopRecording(): Promise<{ path: string; seconds: number }> {
    const recorder = this.recorder;
    if (!recorder) throw roomErrors.notRecording();
    this.recorder = undefined;
    await recorder.close();
    return { path: recorder.path, seconds: recorder.seconds };
  }

  /** Ends the room at once; resolves when a recording in progress is complete on disk. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const recorder = this.recorder;
    this.recorder = undefined;
    for (const item of this.queue.splice(0)) item.resolve('failed');
    this.announcement = undefined;
    for (const id of [...this.legs.keys()]) this.removeLeg(id);
    await recorder?.close();
  }

  /** Adds each leg's jitter counters into `totals` (the engine's figures). */
  addLegStats(totals: JitterTotals): void {
    for (const leg of this.order) addJitterTotals(totals, leg.jitter.stats);
  }
}
