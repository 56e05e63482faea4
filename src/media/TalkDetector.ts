/**
 * Talk detection, tuned as ConfBridge is (a magnitude threshold and a silence time) but so that room noise does
 * not make a talker:
 * - it measures each frame's average magnitude (ConfBridge's `dsp_talking_threshold` unit: mean |sample| of
 *   16-bit audio, a magnitude and not milliseconds, asterisk/asterisk#1761) after a 300 Hz high-pass, so hum,
 *   traffic and air conditioning, which live below it, hardly count, and speech, which does not, is kept;
 * - it tracks the line's noise floor (falling at once, rising about 3 dB a second) and needs speech to stand
 *   out of it by STANDOUT as well as reach the threshold;
 * - it needs START_FRAMES frames in a row, so a key click (one frame) is no talker.
 * Unlike Asterisk's TALK_DETECT it also ends talking when the audio stops arriving (a hangup or RTP loss), so
 * no talker is left "talking".
 */

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

/** A 2nd-order Butterworth high-pass at 300 Hz, per rate (its coefficients: b0, b1, b2, a1, a2). */
function highPass(rate: number): Float64Array {
  const w = Math.tan((Math.PI * 300) / rate);
  const q = Math.SQRT1_2;
  const norm = 1 / (1 + w / q + w * w);
  const b0 = norm;
  return Float64Array.of(b0, -2 * b0, b0, 2 * (w * w - 1) * norm, (1 - w / q + w * w) * norm);
}

export class TalkDetector {
  private above = 0;
  private below = 0;
  private floor: number;
  private readonly hp: Float64Array;
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
    this.hp = highPass(rate);
    // A new line is taken as quiet until it shows otherwise: the floor starts where the threshold would be met.
    this.floor = settings.threshold / STANDOUT;
    this.stopFrames = Math.max(1, Math.round(settings.silenceMs / 20));
  }

  /** Feeds one frame of audio; returns the new state when it changed, else null. */
  frame(samples: Int16Array, length: number): boolean | null {
    const h = this.hp;
    const b0 = h[0] as number;
    const b1 = h[1] as number;
    const b2 = h[2] as number;
    const a1 = h[3] as number;
    const a2 = h[4] as number;
    let { x1, x2, y1, y2 } = this;
    let sum = 0;
    for (let i = 0; i < length; i++) {
      const x = samples[i] as number;
      const y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2;
      x2 = x1;
      x1 = x;
      y2 = y1;
      y1 = y;
      sum += y < 0 ? -y : y;
    }
    this.x1 = x1;
    this.x2 = x2;
    this.y1 = y1;
    this.y2 = y2;
    return this.feed(sum / length);
  }

  /** Feeds one frame's magnitude. */
  feed(magnitude: number): boolean | null {
    this.magnitude = magnitude;
    this.floor = magnitude < this.floor ? magnitude : this.floor * FLOOR_RISE;
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
