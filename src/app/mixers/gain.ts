import type { GainStep } from '../../conference/ports';

/**
 * Asterisk's VOLUME() multiplies by positive values and divides by negative ones
 * (VOLUME(TX)=3 measured 2.95x louder, -3 measured 2.99x quieter); 0 restores unity.
 * One step is 3 dB, as a factor of sqrt(2).
 */
export function volumeValue(step: GainStep): string {
  if (step === 0) return '0';
  const factor = Math.pow(2, Math.abs(step) / 2);
  return (step > 0 ? factor : -factor).toFixed(3);
}

/** Linear amplitude factor for a gain step, for the app's own mixer. */
export function gainFactor(step: GainStep): number {
  return Math.pow(2, step / 2);
}
