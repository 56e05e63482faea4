import { randomInt } from 'node:crypto';
import { TypedEmitter } from '../lib/TypedEmitter';
import { DtmfReceiver } from './dtmf';
import { JitterBuffer, type JitterStats, type PopResult } from './JitterBuffer';
import { RtpSource } from './RtpSource';
import { G722Decoder, G722Encoder } from './g722';
import type { MixParty } from './mixFrame';
import { Downsampler, Upsampler } from './resample';
import type { Player } from './sounds';
import { Denoiser } from './denoise';
import { TalkDetector } from './TalkDetector';
import { ulawDecodeInto, ulawEncodeInto } from './ulaw';
import { AutoGain, DEFAULT_AUDIO, EnergyGate, type RoomAudio } from './voice';
import type { WavRecorder } from './wav';

/** u-law (PT 0) or G.722 (PT 9, 16 kHz audio on an 8 kHz RTP clock): the payload types chan_rtp takes back. */
export type Codec = 'ulaw' | 'g722';
export type Rate = 8000 | 16000;

export const PAYLOAD_TYPE: Record<Codec, number> = { ulaw: 0, g722: 9 };
export const CODEC_RATE: Record<Codec, Rate> = { ulaw: 8000, g722: 16000 };

/** The app mixer's period: 20 ms frames, as Asterisk's externalMedia sends them. */
export const PTIME_MS = 20;
/** Samples in one frame at 8 kHz; also the payload bytes of a 20 ms frame in either codec. */
export const FRAME = 160;
/** Samples in one frame at 16 kHz. */
export const WIDE_FRAME = 320;
const HEADER = 12;

/** Talk and listen gains as linear amplitude factors: media knows numbers, not the domain's steps. */
export interface LegGain {
  talk?: number;
  listen?: number;
}

/** Concealment: the last frame again, at half level, then silence (JitterBuffer goes idle). */
const CONCEAL_GAIN = 0.5;

export interface LegStats extends JitterStats {
  sent: number;
}

/** A leg's resamplers and buffers in a 16 kHz room: its u-law audio up and back, its own audio (8 kHz) up. */
class Wideband {
  readonly input = new Int16Array(WIDE_FRAME);
  readonly up = new Upsampler();
  readonly down = new Downsampler();
  readonly narrow = new Int32Array(FRAME);
  readonly ownUp = new Upsampler();
  readonly own = new Int16Array(WIDE_FRAME);

  reset(): void {
    this.up.reset();
    this.down.reset();
    this.ownUp.reset();
  }
}

/**
 * One participant's RTP leg: jitter buffer in, encoded frames out, gains, talk detection, and what the room
 * does to the voice first (denoise, energy gate, auto-gain). Its audio is at its codec's rate (`native`); in a
 * room that mixes at another rate, `input` is that audio resampled and `encode` resamples back.
 */
export class MediaLeg implements MixParty {
  readonly events = new TypedEmitter<{ talking: [talking: boolean]; dtmf: [digit: string, durationMs: number] }>();
  readonly source = new RtpSource();
  /** The packet after a wild jump, kept until the next one confirms it (or shows it was not ours). */
  readonly held = new Uint8Array(FRAME);
  heldSeq = -1;
  /**
   * The payload type of RFC 4733 telephone-event from this leg's far end, or -1: only a phone sending straight to
   * us (SIP direct media) has digits in its RTP; through Asterisk they reach ARI instead.
   */
  dtmfPayloadType = -1;
  readonly dtmf = new DtmfReceiver((d) => this.events.safeEmit('dtmf', d.digit, d.durationMs));
  readonly jitter = new JitterBuffer(FRAME);
  readonly rate: Rate;
  readonly payloadType: number;
  /** This tick's audio at the leg's own rate, after denoise and auto-gain. */
  readonly native: Int16Array;
  /** The same at the room's rate (the same array when the rates agree). */
  input: Int16Array;
  /** The room's rate is the leg's: its u-law frame can be shared with others who hear the same. */
  shareable = true;
  readonly payload = new Uint8Array(FRAME);
  detector: TalkDetector;
  denoiser: Denoiser | undefined;
  gate: EnergyGate | undefined;
  autoGain: AutoGain | undefined;
  /** This participant's own audio to its own file (per-participant recording). */
  recorder: WavRecorder | undefined;
  recordingOpens = false;
  private readonly decoder: G722Decoder | undefined;
  private readonly encoder: G722Encoder | undefined;
  /** Made the first time the leg is in a 16 kHz room: a u-law room never needs them (10 KB a leg). */
  private wideband: Wideband | undefined;
  /** Two packet buffers used in turn: a datagram is handed to the kernel before the next tick reuses one. */
  readonly packets = [Buffer.alloc(HEADER + FRAME), Buffer.alloc(HEADER + FRAME)];
  /** The payload of each packet, where the mix writes what this participant hears. */
  readonly payloads = this.packets.map((p) => p.subarray(HEADER));
  packetIndex = 0;
  out: Uint8Array = this.payloads[0] as Uint8Array;
  sequence = randomInt(0, 65536);
  timestamp = randomInt(0, 2 ** 31);
  readonly ssrc = randomInt(1, 2 ** 31);
  address: string | undefined;
  port = 0;
  talk = true;
  listen = true;
  talkGain = 1;
  listenGain = 1;
  /** A prompt or music only this participant hears, instead of the conference. */
  private: Player | undefined;
  music: Player | undefined;
  /** This tick's frame of `private` or `music` (8 kHz, as sounds are), and at the room's rate, for the mix. */
  readonly ownFrame = new Int16Array(FRAME);
  own: Int16Array | null = null;
  private roomRate: Rate = 8000;
  /** Whether this frame's input holds audio (a frame or concealment). */
  hasInput = false;
  sent = 0;

  constructor(
    readonly participantId: string,
    readonly codec: Codec,
    private readonly onRemote: (leg: MediaLeg) => void,
    audio: RoomAudio = DEFAULT_AUDIO,
  ) {
    this.rate = CODEC_RATE[codec];
    this.payloadType = PAYLOAD_TYPE[codec];
    this.native = new Int16Array(this.rate / 50);
    this.input = this.native;
    if (codec === 'g722') {
      this.decoder = new G722Decoder();
      this.encoder = new G722Encoder();
    }
    this.detector = new TalkDetector(audio.talk, this.rate);
    this.configure(audio);
  }

  /** The room's voice settings (talk detection starts afresh). */
  configure(audio: RoomAudio): void {
    this.detector = new TalkDetector(audio.talk, this.rate);
    this.denoiser = audio.denoise ? (this.denoiser ?? new Denoiser(this.rate)) : undefined;
    this.gate = audio.energyLevel > 0 ? new EnergyGate(audio.energyLevel) : undefined;
    this.autoGain = audio.autoGainLevel > 0 ? new AutoGain(audio.autoGainLevel) : undefined;
  }

  /** The room now mixes at `rate`. */
  setRoomRate(rate: Rate): void {
    this.roomRate = rate;
    this.shareable = rate === 8000 && this.codec === 'ulaw';
    this.input = this.native;
    if (rate === 8000) return;
    const wide = (this.wideband ??= new Wideband());
    wide.reset();
    if (this.rate !== rate) this.input = wide.input;
  }

  /**
   * The payload into `native` (decoded, or concealment, or silence), measured for talk detection
   * (`detector.magnitude`) when there is audio; returns whether there is.
   */
  decode(result: PopResult): boolean {
    const native = this.native;
    const n = native.length;
    if (result === 'frame') {
      if (this.decoder) this.decoder.decode(this.payload, 0, FRAME, native);
      else if (!this.denoiser) {
        // The common case, a plain u-law caller: decoded and measured in one loop.
        this.detector.measureUlaw(this.payload, 0, native, FRAME);
        return true;
      } else ulawDecodeInto(this.payload, 0, native, FRAME);
      this.denoiser?.process(native);
      this.detector.measure(native, n);
      return true;
    }
    if (result === 'conceal' && this.hasInput) {
      for (let i = 0; i < n; i++) native[i] = Math.round((native[i] as number) * CONCEAL_GAIN);
      this.detector.measure(native, n);
      return true;
    }
    native.fill(0);
    return false;
  }

  /** `native` at the room's rate into `input` (a u-law leg in a 16 kHz room). */
  toRoomRate(): void {
    const wide = this.wideband;
    if (this.input === this.native || !wide) return;
    if (this.hasInput) wide.up.process(this.native, FRAME, wide.input);
    else wide.up.reset();
  }

  /** `ownFrame` (8 kHz) at the room's rate. */
  ownAtRoomRate(): Int16Array {
    const wide = this.wideband;
    if (this.roomRate === 8000 || !wide) return this.ownFrame;
    wide.ownUp.process(this.ownFrame, FRAME, wide.own);
    return wide.own;
  }

  /** What this participant hears this tick, at the room's rate, into `out` in the leg's codec. */
  encode(pcm: Int16Array | Int32Array, n: number): void {
    if (this.encoder) {
      this.encoder.encode(pcm, n, this.out);
      return;
    }
    const wide = this.wideband;
    if (n === FRAME || !wide) {
      ulawEncodeInto(pcm, this.out, 0, FRAME);
      return;
    }
    wide.down.process(pcm, n, wide.narrow);
    ulawEncodeInto(wide.narrow, this.out, 0, FRAME);
  }

  setRemote(address: string, port: number): void {
    this.address = address;
    this.port = port;
    this.source.reset();
    this.dtmf.reset();
    this.heldSeq = -1;
    this.onRemote(this);
  }

  setTalk(enabled: boolean): void {
    this.talk = enabled;
  }

  setListen(enabled: boolean): void {
    this.listen = enabled;
  }

  /** Linear amplitude factors (1 is unity); the backend converts its own steps. */
  setGain(gain: LegGain): void {
    if (gain.talk !== undefined) this.talkGain = gain.talk;
    if (gain.listen !== undefined) this.listenGain = gain.listen;
  }

  stats(): LegStats {
    return { ...this.jitter.stats, sent: this.sent };
  }
}
