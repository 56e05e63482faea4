/**
 * Talk detection, tuned as ConfBridge is (a magnitude threshold and a silence time) but so that room noise does
 * not make a talker:
 * - it measures each frame's average magnitude (ConfBridge's `dsp_talking_threshold` unit: mean |sample| of
 *   16-bit audio, a magnitude and not milliseconds, asterisk/asterisk#1761) after a 300 Hz high-pass, so hum,
 *   traffic and air conditioning, which live below it, hardly count, and speech, which does not, is kept;
 * - it tracks the line's noise floor (falling at once, rising about 3 dB a second) and needs speech to stand
 *   out of it by STANDOUT as well as reach the threshold. The floor stops at FLOOR_CAP, below a soft talker's
 *   level: a steady sound as loud as speech (a held note, a test tone) is talking for as long as it lasts, as
 *   ConfBridge's fixed threshold and FreeSWITCH's energy level have it, while hum, hiss and a fan, quieter,
 *   are still learned and left out;
 * - it needs START_FRAMES frames in a row, so a key click (one frame) is no talker.
 * Unlike Asterisk's TALK_DETECT it also ends talking when the audio stops arriving (a hangup or RTP loss), so
 * no talker is left "talking".
 */
import { ULAW_DECODE } from './ulaw';

export interface TalkSettings {
  /** Average magnitude (high-passed) a frame needs to count as speech (ConfBridge `dsp_talking_threshold`). */
  threshold: number;
  /** Milliseconds below it before talking ends (ConfBridge `dsp_silence_threshold`). */
  silenceMs: number;
}

/** Measured on test/fixtures/noise/noisy-line.wav: see the README's talk detection figures. */
export const DEFAULT_TALK: TalkSettings = { threshold: 256, silenceMs: 800 };

const START_FRAMES = 3;
/** Speech must be this many times the noise floor's magnitude (about 10 dB) to start. */
const STANDOUT = 3.2;
/** Per 20 ms frame: +0.06 dB, 3 dB a second. */
const FLOOR_RISE = 10 ** (0.06 / 20);
/** Below this fraction of the start level, a frame counts towards the silence that ends talking. */
const STOP_FRACTION = 0.6;
/**
 * The highest the floor goes: anything steady above FLOOR_CAP x STANDOUT (640: a 1 kHz tone at -33.5 dBFS; speech
 * at -18.5 dBFS has a median of 1,544) starts talking however long it lasts, and above 60% of that stays so.
 */
const FLOOR_CAP = 200;

/** A 2nd-order Butterworth high-pass at 300 Hz, per rate: its b0 (b1 = -2 b0, b2 = b0), a1 and a2. */
function highPass(rate: number): { b0: number; a1: number; a2: number } {
  const w = Math.tan((Math.PI * 300) / rate);
  const q = Math.SQRT1_2;
  const norm = 1 / (1 + w / q + w * w);
  return { b0: norm, a1: 2 * (w * w - 1) * norm, a2: (1 - w / q + w * w) * norm };
}

export class TalkDetector {
  private above = 0;
  private below = 0;
  private floor: number;
  private readonly b0: number;
  private readonly a1: number;
  private readonly a2: number;
  /** y[n] = f[n] - a1 f[n-1] + c1 y[n-2] + c2 y[n-3] with f the filter's FIR part: two samples a step. */
  private readonly c1: number;
  private readonly c2: number;
  private x1 = 0;
  private x2 = 0;
  private y1 = 0;
  private y2 = 0;
  private readonly stopFrames: number;
  talking = false;
  /** The last frame's high-passed average magnitude (the energy gate reads it too). */
  magnitude = 0;

  constructor(
    private readonly settings: TalkSettings = DEFAULT_TALK,
    rate = 8000,
  ) {
    const { b0, a1, a2 } = highPass(rate);
    this.b0 = b0;
    this.a1 = a1;
    this.a2 = a2;
    this.c1 = a1 * a1 - a2;
    this.c2 = a1 * a2;
    // A new line is taken as quiet until it shows otherwise: the floor starts where the threshold would be met.
    this.floor = Math.min(settings.threshold / STANDOUT, FLOOR_CAP);
    this.stopFrames = Math.max(1, Math.round(settings.silenceMs / 20));
  }

  /** Feeds one frame of audio; returns the new state when it changed, else null. */
  frame(samples: Int16Array, length: number): boolean | null {
    this.measure(samples, length);
    return this.decide();
  }

  /**
   * The frame's high-passed average magnitude into `magnitude` (the filter runs on; `decide` decides). Kept in a
   * field, not returned: a fraction returned or passed between functions V8 did not inline is a heap number
   * each frame. The recursion is unrolled
   * by two (each pair from the pair before), so the CPU runs two samples' multiplies at once instead of
   * waiting on each output for the next, and `Math.abs` is one instruction where a test of the sign is a branch
   * the CPU mispredicts half the time on audio: this loop is most of what talk detection costs in the tick.
   */
  measure(samples: Int16Array, length: number): void {
    const { b0, a1, a2, c1, c2 } = this;
    let { x1, x2, y1, y2 } = this;
    let sum = 0;
    const pairs = length & ~1;
    for (let i = 0; i < pairs; i += 2) {
      const xa = samples[i] as number;
      const xb = samples[i + 1] as number;
      const fa = b0 * (xa - 2 * x1 + x2);
      const fb = b0 * (xb - 2 * xa + x1);
      const ya = fa - a1 * y1 - a2 * y2;
      const yb = fb - a1 * fa + c1 * y1 + c2 * y2;
      x2 = xa;
      x1 = xb;
      y2 = ya;
      y1 = yb;
      sum += Math.abs(ya) + Math.abs(yb);
    }
    if (pairs < length) {
      const x = samples[pairs] as number;
      const y = b0 * (x - 2 * x1 + x2) - a1 * y1 - a2 * y2;
      x2 = x1;
      x1 = x;
      y2 = y1;
      y1 = y;
      sum += Math.abs(y);
    }
    this.x1 = x1;
    this.x2 = x2;
    this.y1 = y1;
    this.y2 = y2;
    this.magnitude = sum / length;
  }

  /**
   * u-law `src` decoded into `dst` and measured as `measure` does, in the one loop: the decode the tick runs
   * anyway hides most of the filter's cost. `length` is even (a 20 ms frame).
   */
  measureUlaw(src: Uint8Array, srcOffset: number, dst: Int16Array, length: number): void {
    // A local: an imported binding read per sample is a getter call under some loaders (tsx's).
    const decode = ULAW_DECODE;
    const { b0, a1, a2, c1, c2 } = this;
    let { x1, x2, y1, y2 } = this;
    let sum = 0;
    for (let i = 0; i < length; i += 2) {
      const xa = decode[src[srcOffset + i] as number] as number;
      const xb = decode[src[srcOffset + i + 1] as number] as number;
      dst[i] = xa;
      dst[i + 1] = xb;
      const fa = b0 * (xa - 2 * x1 + x2);
      const fb = b0 * (xb - 2 * xa + x1);
      const ya = fa - a1 * y1 - a2 * y2;
      const yb = fb - a1 * fa + c1 * y1 + c2 * y2;
      x2 = xa;
      x1 = xb;
      y2 = ya;
      y1 = yb;
      sum += Math.abs(ya) + Math.abs(yb);
    }
    this.x1 = x1;
    this.x2 = x2;
    this.y1 = y1;
    this.y2 = y2;
    this.magnitude = sum / length;
  }

  /** Feeds one frame's magnitude. */
  feed(magnitude: number): boolean | null {
    this.magnitude = magnitude;
    return this.decide();
  }

  /** The state after this frame's `magnitude`: the new one when it changed, else null. */
  decide(): boolean | null {
    const magnitude = this.magnitude;
    this.floor = magnitude < this.floor ? magnitude : Math.min(this.floor * FLOOR_RISE, FLOOR_CAP);
    const start = Math.max(this.settings.threshold, this.floor * STANDOUT);
    if (!this.talking) {
      this.above = magnitude >= start ? this.above + 1 : 0;
      if (this.above >= START_FRAMES) {
        this.talking = true;
        this.below = 0;
        return true;
      }
      return null;
    }
    this.below = magnitude < start * STOP_FRACTION ? this.below + 1 : 0;
    if (this.below >= this.stopFrames) {
      this.talking = false;
      this.above = 0;
      return false;
    }
    return null;
  }

  /** No audio at all this frame. */
  silence(): boolean | null {
    this.magnitude = 0;
    // A gap says nothing about the line's noise: the floor is left as it was.
    const floor = this.floor;
    const change = this.feed(0);
    this.floor = floor;
    return change;
  }
}
