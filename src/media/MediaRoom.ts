import { addJitterTotals, type JitterTotals } from './JitterBuffer';
import { roomErrors } from './roomErrors';
import { mix, newMixScratch, type MixScratch } from './mixFrame';
import { FRAME, MediaLeg, WIDE_FRAME, type Codec, type Rate } from './MediaLeg';
import { Downsampler, Upsampler } from './resample';
import { Player, type SoundLibrary } from './sounds';
import { writeRtpHeader } from './rtp';
import { DEFAULT_AUDIO, type RoomAudio } from './voice';
import { WavRecorder } from './wav';

export interface RoomHost {
  sounds: SoundLibrary;
  legAdded(leg: MediaLeg): void;
  legRemoved(leg: MediaLeg): void;
  send(leg: MediaLeg, packet: Buffer): void;
}

/** The mix of a room's recording at the rate the file was opened with (the room's may change under it). */
class RoomRecording {
  private readonly down = new Downsampler();
  private readonly up = new Upsampler();
  private readonly narrow = new Int32Array(FRAME);
  private readonly clamped = new Int16Array(FRAME);
  private readonly wide = new Int16Array(WIDE_FRAME);

  constructor(readonly file: WavRecorder) {}

  write(sum: Int32Array, n: number): void {
    const fileRate = this.file.sampleRate;
    if (n * 50 === fileRate) this.file.write(sum, n);
    else if (n === WIDE_FRAME) {
      this.down.process(sum, n, this.narrow);
      this.file.write(this.narrow, FRAME);
    } else {
      for (let i = 0; i < FRAME; i++) {
        const v = sum[i] as number;
        this.clamped[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
      }
      this.up.process(this.clamped, FRAME, this.wide);
      this.file.write(this.wide, WIDE_FRAME);
    }
  }
}

/**
 * One conference's mix: every tick, each listener gets everyone but themselves. It mixes at 8 kHz, and at
 * 16 kHz while any leg is wideband (G.722): narrowband legs are then upsampled in and downsampled out.
 */
export class MediaRoom {
  private readonly legs = new Map<string, MediaLeg>();
  /** The same legs as an array: iterating a Map allocates an iterator every tick. */
  private order: MediaLeg[] = [];
  private rate: Rate = 8000;
  private readonly scratches: Record<Rate, MixScratch> = { 8000: newMixScratch(FRAME), 16000: newMixScratch(WIDE_FRAME) };
  private mixScratch = this.scratches[8000];
  /** This tick's frame of the announcement (8 kHz, as sounds are), and at 16 kHz. */
  private readonly scratch = new Int16Array(FRAME);
  private readonly announcementUp = new Upsampler();
  private readonly announcementWide = new Int16Array(WIDE_FRAME);
  private audio: RoomAudio = DEFAULT_AUDIO;
  /** Per-participant recordings being finished (their leg left, or the room closes). */
  private readonly finishing = new Set<Promise<void>>();
  private announcement: Player | undefined;
  private readonly queue: { player: Player; resolve: (r: 'done' | 'failed') => void }[] = [];
  private recorder: RoomRecording | undefined;
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

  /** The rate it mixes at now. */
  get mixRate(): Rate {
    return this.rate;
  }

  /** The voice settings of every leg, present and future. */
  configure(audio: RoomAudio): void {
    this.audio = audio;
    for (const leg of this.order) leg.configure(audio);
  }

  addLeg(options: { participantId: string; codec: Codec | 'slin16' }): MediaLeg {
    if (options.codec !== 'ulaw' && options.codec !== 'g722') throw roomErrors.unsupportedCodec(options.codec);
    if (this.legs.has(options.participantId)) throw roomErrors.duplicateLeg(options.participantId);
    const leg = new MediaLeg(options.participantId, options.codec, (l) => this.host.legAdded(l), this.audio);
    this.legs.set(options.participantId, leg);
    this.order = [...this.legs.values()];
    this.chooseRate();
    leg.setRoomRate(this.rate);
    return leg;
  }

  /** 16 kHz while any leg is wideband, else 8 kHz (cheaper, and u-law legs share their frames). */
  private chooseRate(): void {
    const rate: Rate = this.order.some((l) => l.rate === 16000) ? 16000 : 8000;
    if (rate === this.rate) return;
    this.rate = rate;
    this.mixScratch = this.scratches[rate];
    this.announcementUp.reset();
    for (const leg of this.order) leg.setRoomRate(rate);
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
    if (leg.recorder) this.finish(leg.recorder);
    leg.recorder = undefined;
    this.chooseRate();
  }

  private finish(recorder: WavRecorder): void {
    const done = recorder.close().catch(() => undefined);
    this.finishing.add(done);
    void done.finally(() => this.finishing.delete(done));
  }

  /** One period: pull what each leg said, mix (the pure core), record, send. Called on the conference timer. */
  tick(): void {
    const legs = this.order;
    for (let l = 0; l < legs.length; l++) this.pull(legs[l] as MediaLeg);
    let extra: Int16Array | null = null;
    if (this.announcement) {
      this.announcement.next(this.scratch);
      extra = this.scratch;
      if (this.rate === 16000) {
        this.announcementUp.process(this.scratch, FRAME, this.announcementWide);
        extra = this.announcementWide;
      }
      if (this.announcement.done) this.nextAnnouncement();
    }
    const sum = mix(legs, extra, this.mixScratch);
    if (!this.recordingPaused) this.recorder?.write(sum, sum.length);
    for (let l = 0; l < legs.length; l++) {
      const leg = legs[l] as MediaLeg;
      if (leg.address === undefined) continue;
      const packet = leg.packets[leg.packetIndex] as Buffer;
      // RTP clock 8000 for G.722 too (RFC 3551's historical error, which Asterisk follows): 160 a frame either way.
      writeRtpHeader(packet, leg.payloadType, leg.sequence, leg.timestamp, leg.ssrc);
      leg.sequence = (leg.sequence + 1) & 0xffff;
      // Kept as a signed 32-bit value (the header writer takes the same bits): never a boxed number.
      leg.timestamp = (leg.timestamp + FRAME) | 0;
      leg.sent++;
      this.host.send(leg, packet);
    }
  }

  /**
   * The leg's input for this tick (a frame, concealment or nothing; denoised), its talk state, the energy gate
   * and auto-gain, its own recording, and its own audio.
   */
  private pull(leg: MediaLeg): void {
    leg.hasInput = leg.decode(leg.jitter.pop(leg.payload));
    const native = leg.native;
    const n = native.length;
    const change = leg.hasInput ? leg.detector.decide() : leg.detector.silence();
    if (change !== null) leg.events.safeEmit('talking', change);
    if (leg.hasInput) leg.autoGain?.apply(native, n, leg.detector.magnitude, leg.detector.talking);
    // Everything the caller said, gate or not (speech-to-text wants it all); silence while muted or absent, so
    // the file keeps time with the conference's.
    if (leg.recorder && !this.recordingPaused) {
      if (leg.hasInput && leg.talk) leg.recorder.write(native, n);
      else leg.recorder.writeSilence(n);
    }
    if (leg.hasInput && leg.gate && !leg.gate.open(leg.detector.magnitude)) leg.hasInput = false;
    leg.toRoomRate();
    leg.packetIndex ^= 1;
    leg.out = leg.payloads[leg.packetIndex] as Uint8Array;
    const own = leg.private ?? leg.music;
    if (own) {
      own.next(leg.ownFrame);
      leg.own = leg.ownAtRoomRate();
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
      // At the mix rate when it starts; the room's later changes of rate are converted to it.
      const recorder = await WavRecorder.open(path, this.rate);
      // Closed while the file was being created: it stays an empty, valid WAV.
      if (this.closed) return await recorder.close();
      this.recorder = new RoomRecording(recorder);
      this.recordingPaused = false;
    } finally {
      this.recordingOpens = false;
    }
  }

  pauseRecording(paused: boolean): void {
    this.recordingPaused = paused;
  }

  async stopRecording(): Promise<{ path: string; seconds: number }> {
    const recorder = this.recorder?.file;
    if (!recorder) throw roomErrors.notRecording();
    this.recorder = undefined;
    await recorder.close();
    return { path: recorder.path, seconds: recorder.seconds };
  }

  /** One participant's own audio to its own file, at their codec's rate. */
  async startLegRecording(participantId: string, path: string): Promise<void> {
    const leg = this.leg(participantId);
    if (leg.recorder || leg.recordingOpens) throw roomErrors.alreadyRecording();
    leg.recordingOpens = true;
    try {
      const recorder = await WavRecorder.open(path, leg.rate);
      if (this.closed || this.legs.get(participantId) !== leg) return await recorder.close();
      leg.recorder = recorder;
    } finally {
      leg.recordingOpens = false;
    }
  }

  /** Stops it; a participant who left has had their file finished already (the same answer). */
  async stopLegRecording(participantId: string): Promise<{ path: string; seconds: number }> {
    const leg = this.leg(participantId);
    const recorder = leg.recorder;
    if (!recorder) throw roomErrors.notRecording();
    leg.recorder = undefined;
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
    await recorder?.file.close();
    await Promise.all(this.finishing);
  }

  /** Adds each leg's jitter counters into `totals` (the engine's figures). */
  addLegStats(totals: JitterTotals): void {
    for (const leg of this.order) addJitterTotals(totals, leg.jitter.stats);
  }
}
