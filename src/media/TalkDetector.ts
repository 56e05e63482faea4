/**
 * Speech detection with hysteresis on frame energy. Unlike Asterisk's TALK_DETECT, it also ends
 * talking when the audio stops arriving (a hangup or RTP loss), so no talker is left "talking".
 */
export class TalkDetector {
  private above = 0;
  private below = 0;
  talking = false;

  constructor(
    private readonly startThreshold = 600,
    private readonly stopThreshold = 350,
    private readonly startFrames = 2,
    private readonly stopFrames = 40,
  ) {}

  /** Feeds one frame's RMS; returns the new state when it changed, else null. */
  feed(rms: number): boolean | null {
    if (!this.talking) {
      this.above = rms >= this.startThreshold ? this.above + 1 : 0;
      if (this.above >= this.startFrames) {
        this.talking = true;
        this.below = 0;
        return true;
      }
      return null;
    }
    this.below = rms < this.stopThreshold ? this.below + 1 : 0;
    if (this.below >= this.stopFrames) {
      this.talking = false;
      this.above = 0;
      return false;
    }
    return null;
  }

  /** No audio at all this frame. */
  silence(): boolean | null {
    return this.feed(0);
  }
}

/** Whole-number RMS: a small integer stays unboxed wherever it is passed, a fraction would allocate. */
export function rms(samples: Int16Array, length: number): number {
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const s = samples[i] as number;
    sum += s * s;
  }
  return Math.sqrt(sum / length) | 0;
}
