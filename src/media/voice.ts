/**
 * What a room does to each caller's voice before the mix, as numbers (the app maps a conference's settings to
 * them): talk detection, FreeSWITCH's energy level and auto-gain, and denoise.
 */
import { DEFAULT_TALK, type TalkSettings } from './TalkDetector';

export interface RoomAudio {
  talk: TalkSettings;
  /** FreeSWITCH `energy-level`: a caller's frames quieter than this magnitude are not mixed (0: every frame is). */
  energyLevel: number;
  /** FreeSWITCH `auto-gain-level`: the average magnitude talkers are brought towards (0: off). */
  autoGainLevel: number;
  /** Noise suppression of each caller before the mix. */
  denoise: boolean;
}

export const DEFAULT_AUDIO: RoomAudio = { talk: DEFAULT_TALK, energyLevel: 0, autoGainLevel: 0, denoise: false };

/**
 * Frames below the energy level are left out of the mix, as FreeSWITCH does, with a hangover (as its
 * `energy-level` has) so the quiet ends of words are not cut.
 */
export class EnergyGate {
  private hangover = 0;

  constructor(private readonly level: number) {}

  /** Whether this frame is mixed, given its magnitude. */
  open(magnitude: number): boolean {
    if (magnitude >= this.level) this.hangover = HANGOVER_FRAMES;
    else if (this.hangover > 0) this.hangover--;
    return this.hangover > 0;
  }
}

const HANGOVER_FRAMES = 10;

/** Gain limits: +-12 dB. */
const MAX_GAIN = 4;
const MIN_GAIN = 0.25;
/** How fast the level estimate follows a talker (per frame), and the most the gain moves per frame (0.1 dB). */
const LEVEL_SMOOTH = 0.95;
const STEP = 10 ** (0.1 / 20);

/**
 * Auto-gain (FreeSWITCH's `auto-gain-level`): while a caller talks, their level is brought slowly towards the
 * target; between words the gain is held, so noise is never pumped up.
 */
export class AutoGain {
  gain = 1;
  private level = -1;

  constructor(private readonly target: number) {}

  /** Adapts (only while `talking`, from the frame's magnitude before the gain) and applies the gain in place. */
  apply(samples: Int16Array, length: number, magnitude: number, talking: boolean): void {
    if (talking && magnitude > 0) {
      this.level = this.level < 0 ? magnitude : LEVEL_SMOOTH * this.level + (1 - LEVEL_SMOOTH) * magnitude;
      const wanted = this.target / this.level;
      if (wanted > this.gain * STEP) this.gain = Math.min(MAX_GAIN, this.gain * STEP);
      else if (wanted < this.gain / STEP) this.gain = Math.max(MIN_GAIN, this.gain / STEP);
    }
    const g = this.gain;
    if (g === 1) return;
    for (let i = 0; i < length; i++) {
      const v = Math.round((samples[i] as number) * g);
      samples[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
  }
}
