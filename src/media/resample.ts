/**
 * 8 kHz <-> 16 kHz for a room that mixes wideband: one low-pass FIR (Kaiser-windowed sinc, 48 taps at 16 kHz,
 * cut at 3.7 kHz) used both ways, each direction keeping its own history so frames join without a click.
 * Flat to about 3.1 kHz (all a u-law call carries), 60 dB down from about 4.3 kHz, so what a 16 kHz room has
 * above 4 kHz does not fold back into a narrowband caller's ear.
 */

const TAPS = 48;
const CUTOFF_HZ = 3700;
const BETA = 5.7;

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 30; k++) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
  }
  return sum;
}

function design(): Float64Array {
  const h = new Float64Array(TAPS);
  const fc = CUTOFF_HZ / 16000;
  const mid = (TAPS - 1) / 2;
  let sum = 0;
  for (let t = 0; t < TAPS; t++) {
    const n = t - mid;
    const sinc = n === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * n) / (Math.PI * n);
    const w = besselI0(BETA * Math.sqrt(1 - (n / mid) ** 2)) / besselI0(BETA);
    h[t] = sinc * w;
    sum += h[t] as number;
  }
  for (let t = 0; t < TAPS; t++) h[t] = (h[t] as number) / sum;
  return h;
}

const H = design();
/** The polyphase halves for upsampling: even and odd taps, times 2 (zero-stuffing halves the level). */
const UP_EVEN = Float64Array.from({ length: TAPS / 2 }, (_, j) => 2 * (H[2 * j] as number));
const UP_ODD = Float64Array.from({ length: TAPS / 2 }, (_, j) => 2 * (H[2 * j + 1] as number));

function clamp16(v: number): number {
  const r = Math.round(v);
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}

/** `buf` (its first `hist` samples the history), grown if too short, with the `n` inputs copied in after the history. */
function withInput(buf: Float64Array<ArrayBuffer>, hist: number, input: Int16Array | Int32Array, n: number): Float64Array<ArrayBuffer> {
  let out = buf;
  if (out.length < hist + n) {
    out = new Float64Array(hist + n);
    out.set(buf.subarray(0, hist));
  }
  for (let i = 0; i < n; i++) out[hist + i] = input[i] as number;
  return out;
}

/** 8 kHz in, 16 kHz out (twice as many samples). */
export class Upsampler {
  /** The last TAPS/2 - 1 inputs before this frame, then the frame: one buffer, so the filter reads straight through. */
  private buf = new Float64Array(TAPS / 2 - 1 + 320);

  process(input: Int16Array, n: number, out: Int16Array): void {
    const hist = TAPS / 2 - 1;
    const buf = (this.buf = withInput(this.buf, hist, input, n));
    const half = TAPS / 2;
    for (let k = 0; k < n; k++) {
      let even = 0;
      let odd = 0;
      // x[k - j] is buf[hist + k - j]
      const base = hist + k;
      for (let j = 0; j < half; j++) {
        const x = buf[base - j] as number;
        even += (UP_EVEN[j] as number) * x;
        odd += (UP_ODD[j] as number) * x;
      }
      out[2 * k] = clamp16(even);
      out[2 * k + 1] = clamp16(odd);
    }
    buf.copyWithin(0, n, n + hist);
  }

  reset(): void {
    this.buf.fill(0);
  }
}

/** 16 kHz in, 8 kHz out (half as many samples). */
export class Downsampler {
  private buf = new Float64Array(TAPS - 1 + 320);

  /** `n` (even) samples of `input` to n/2 in `out`. */
  process(input: Int16Array | Int32Array, n: number, out: Int16Array | Int32Array): void {
    const hist = TAPS - 1;
    const buf = (this.buf = withInput(this.buf, hist, input, n));
    for (let m = 0; m < n >> 1; m++) {
      let acc = 0;
      const base = hist + 2 * m + 1;
      for (let t = 0; t < TAPS; t++) acc += (H[t] as number) * (buf[base - t] as number);
      out[m] = clamp16(acc);
    }
    buf.copyWithin(0, n, n + hist);
  }

  reset(): void {
    this.buf.fill(0);
  }
}
