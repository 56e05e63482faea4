/** G.711 u-law for the double's own RTP: independent of src/media on purpose. */
const BIAS = 0x84;

/** Every 16-bit sample's code, so the double's RTP for a thousand legs costs a lookup per sample. */
const ENCODE = (() => {
  const table = new Uint8Array(65536);
  for (let i = 0; i < 65536; i++) table[i] = encode(i - 32768);
  return table;
})();

export function ulawEncode(sample: number): number {
  const s = Math.round(sample);
  return ENCODE[(s > 32767 ? 32767 : s < -32768 ? -32768 : s) + 32768]!;
}

function encode(sample: number): number {
  let s = Math.max(-32635, Math.min(32635, Math.round(sample)));
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

export function ulawDecode(code: number): number {
  const u = ~code & 0xff;
  const sign = u & 0x80;
  const exponent = (u >> 4) & 0x07;
  const mantissa = u & 0x0f;
  const magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
  return sign ? -magnitude : magnitude;
}
