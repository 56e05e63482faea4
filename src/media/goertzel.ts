/** Power at one frequency relative to full scale, in dB (Goertzel): how we tell tones apart in audio. */
export function goertzelDb(samples: Int16Array, hz: number, rate = 8000): number {
  const coeff = 2 * Math.cos((2 * Math.PI * hz) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < samples.length; i++) {
    const s0 = (samples[i] as number) / 32768 + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return 10 * Math.log10((s1 * s1 + s2 * s2 - coeff * s1 * s2) / ((samples.length * samples.length) / 4) + 1e-12);
}
