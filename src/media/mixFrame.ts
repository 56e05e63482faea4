/** The N-1 mix as pure functions over typed arrays: sums in Int32, clamped once on the way out. */

/** sum += input x gain */
export function addInto(sum: Int32Array, input: Int16Array, gain: number): void {
  if (gain === 1) for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (input[i] as number);
  else for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + Math.round((input[i] as number) * gain);
}

/** out = (sum - own x ownGain) x listenGain: what one participant hears, without their own voice. */
export function minusInto(out: Int32Array, sum: Int32Array, own: Int16Array | null, ownGain: number, listenGain: number): void {
  for (let i = 0; i < out.length; i++) {
    const mine = own ? Math.round((own[i] as number) * ownGain) : 0;
    const v = (sum[i] as number) - mine;
    out[i] = listenGain === 1 ? v : Math.round(v * listenGain);
  }
}
