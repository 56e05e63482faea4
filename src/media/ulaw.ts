/** G.711 u-law, table-driven: one lookup per sample each way, no allocation. */
const BIAS = 0x84;
const CLIP = 32635;

function encodeSample(sample: number): number {
  let s = sample;
  const sign = s < 0 ? 0x80 : 0;
  if (s < 0) s = -s;
  if (s > CLIP) s = CLIP;
  s += BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (s & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (s >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** u-law code -> linear sample. */
const DECODE: Int16Array = (() => {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) {
    const u = ~code & 0xff;
    const exponent = (u >> 4) & 0x07;
    const magnitude = ((((u & 0x0f) << 3) + BIAS) << exponent) - BIAS;
    table[code] = u & 0x80 ? -magnitude : magnitude;
  }
  return table;
})();
/**
 * The same table for other modules. The loops here read the local `DECODE` and `ENCODE`: an exported binding
 * read per sample is a property load in tsc's output and a getter call in tsx's.
 */
export const ULAW_DECODE: Int16Array = DECODE;

/** Linear sample >> 2 (offset by 8192) -> u-law code; u-law keeps 14 bits, so nothing is lost. */
const ENCODE = (() => {
  const table = new Uint8Array(16384);
  for (let i = 0; i < 16384; i++) table[i] = encodeSample((i - 8192) << 2);
  return table;
})();

export function ulawEncodeSample(sample: number): number {
  const clamped = sample > 32767 ? 32767 : sample < -32768 ? -32768 : sample;
  return ENCODE[(clamped >> 2) + 8192] as number;
}

export function ulawDecodeInto(src: Uint8Array, srcOffset: number, dst: Int16Array, length: number): void {
  for (let i = 0; i < length; i++) dst[i] = DECODE[src[srcOffset + i] as number] as number;
}

export function ulawEncodeInto(src: Int16Array | Int32Array, dst: Uint8Array, dstOffset: number, length: number): void {
  for (let i = 0; i < length; i++) {
    const v = src[i] as number;
    const clamped = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    dst[dstOffset + i] = ENCODE[(clamped >> 2) + 8192] as number;
  }
}

/** dst = u-law of (a - b), in one pass: what a participant at unity gains hears, the sum without their voice. */
export function ulawEncodeDifferenceInto(a: Int32Array, b: Int16Array, dst: Uint8Array, length: number): void {
  for (let i = 0; i < length; i++) {
    const v = (a[i] as number) - (b[i] as number);
    const clamped = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    dst[i] = ENCODE[(clamped >> 2) + 8192] as number;
  }
}
