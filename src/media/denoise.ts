/**
 * Noise suppression for one caller, before the mix: short-time spectra (sqrt-Hann windows, 50% overlap, one hop
 * per half frame), a per-bin noise estimate that follows the minimum of the smoothed spectrum (it falls at once
 * and rises about 3 dB a second, so speech, which is never steady, does not pull it up), and a Wiener gain from
 * a decision-directed a priori SNR (Ephraim and Malah), which keeps the "musical" residue low. Gains never go
 * below GAIN_FLOOR: room noise is turned down, not gated to nothing. Delays the audio by one hop (10 ms).
 *
 * Why not a library: the well-kept ones (RNNoise builds for wasm) take 48 kHz frames of 480 samples only; an
 * 8 kHz caller would have to be resampled six-fold and back, costing more than the whole mix of that caller.
 */

const GAIN_FLOOR = 0.12;
/** How far above the tracked minimum the mean noise lies (a minimum of a smoothed periodogram is biased low). */
const NOISE_BIAS = 2;
/** Per hop (10 ms): +0.03 dB, about 3 dB a second. */
const NOISE_RISE = 10 ** (0.03 / 10);
const SMOOTH = 0.7;
const DD = 0.96;

/** An in-place radix-2 complex FFT of one size, its twiddles and bit reversal computed once. */
class Fft {
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;
  private readonly rev: Uint16Array;

  constructor(readonly size: number) {
    this.cos = Float64Array.from({ length: size / 2 }, (_, k) => Math.cos((2 * Math.PI * k) / size));
    this.sin = Float64Array.from({ length: size / 2 }, (_, k) => -Math.sin((2 * Math.PI * k) / size));
    const bits = Math.log2(size);
    this.rev = Uint16Array.from({ length: size }, (_, i) => {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      return r;
    });
  }

  /** Forward when `sign` is 1, inverse (unscaled) when -1. */
  transform(re: Float64Array, im: Float64Array, sign: 1 | -1): void {
    const n = this.size;
    const rev = this.rev;
    for (let i = 0; i < n; i++) {
      const j = rev[i] as number;
      if (j > i) {
        const tr = re[i] as number;
        re[i] = re[j] as number;
        re[j] = tr;
        const ti = im[i] as number;
        im[i] = im[j] as number;
        im[j] = ti;
      }
    }
    for (let len = 2; len <= n; len <<= 1) {
      const half = len >> 1;
      const step = n / len;
      for (let start = 0; start < n; start += len) {
        for (let k = 0; k < half; k++) {
          const wr = this.cos[k * step] as number;
          const wi = sign * (this.sin[k * step] as number);
          const a = start + k;
          const b = a + half;
          const br = re[b] as number;
          const bi = im[b] as number;
          const tr = wr * br - wi * bi;
          const ti = wr * bi + wi * br;
          re[b] = (re[a] as number) - tr;
          im[b] = (im[a] as number) - ti;
          re[a] = (re[a] as number) + tr;
          im[a] = (im[a] as number) + ti;
        }
      }
    }
  }
}

const ffts = new Map<number, Fft>();

/** One caller's noise suppressor at 8 or 16 kHz: `process` takes 20 ms frames in place. */
export class Denoiser {
  private readonly hop: number;
  private readonly fft: Fft;
  private readonly window: Float64Array;
  /** The last two hops of input (one window). */
  private readonly frame: Float64Array;
  /** The second half of the last block, waiting to be overlapped with the next. */
  private readonly tail: Float64Array;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly smoothed: Float64Array;
  private readonly noise: Float64Array;
  private readonly lastClean: Float64Array;
  private started = false;

  constructor(rate: 8000 | 16000) {
    this.hop = rate / 100;
    const size = rate === 8000 ? 256 : 512;
    let fft = ffts.get(size);
    if (!fft) {
      fft = new Fft(size);
      ffts.set(size, fft);
    }
    this.fft = fft;
    const w = 2 * this.hop;
    this.window = Float64Array.from({ length: w }, (_, i) => Math.sin((Math.PI * (i + 0.5)) / w));
    this.frame = new Float64Array(w);
    this.tail = new Float64Array(this.hop);
    this.re = new Float64Array(size);
    this.im = new Float64Array(size);
    const bins = size / 2 + 1;
    this.smoothed = new Float64Array(bins);
    this.noise = new Float64Array(bins);
    this.lastClean = new Float64Array(bins);
  }

  /** Samples per 20 ms frame this denoiser takes. */
  get frameLength(): number {
    return 2 * this.hop;
  }

  /**
   * Cleans one 20 ms frame in place; the output lags the input by one hop. The frame's two windows are real, so
   * one complex FFT carries both (the first as the real part, the second as the imaginary) and one inverse
   * brings both back: half the transforms of doing them one by one.
   */
  process(samples: Int16Array): void {
    const { re, im, window, frame, hop } = this;
    const size = re.length;
    const w = 2 * hop;
    // frame: [previous hop, first hop], then [first hop, second hop].
    for (let i = 0; i < hop; i++) frame[hop + i] = samples[i] as number;
    for (let i = 0; i < w; i++) re[i] = (frame[i] as number) * (window[i] as number);
    frame.copyWithin(0, hop);
    for (let i = 0; i < hop; i++) frame[hop + i] = samples[hop + i] as number;
    for (let i = 0; i < w; i++) im[i] = (frame[i] as number) * (window[i] as number);
    re.fill(0, w);
    im.fill(0, w);
    frame.copyWithin(0, hop);
    this.fft.transform(re, im, 1);
    const half = size / 2;
    for (let k = 0; k <= half; k++) {
      const m = k === 0 ? 0 : size - k;
      const zr = re[k] as number;
      const zi = im[k] as number;
      const mr = re[m] as number;
      const mi = im[m] as number;
      // The two real windows' spectra at bin k.
      const ar = (zr + mr) / 2;
      const ai = (zi - mi) / 2;
      const br = (zi + mi) / 2;
      const bi = (mr - zr) / 2;
      const ga = this.gain(k, ar * ar + ai * ai);
      const gb = this.gain(k, br * br + bi * bi);
      // Y = ga A + j gb B at k, and its mirror conj(ga A) + j conj(gb B) at N - k.
      re[k] = ga * ar - gb * bi;
      im[k] = ga * ai + gb * br;
      if (m !== k) {
        re[m] = ga * ar + gb * bi;
        im[m] = gb * br - ga * ai;
      }
    }
    this.started = true;
    this.fft.transform(re, im, -1);
    const tail = this.tail;
    for (let i = 0; i < hop; i++) {
      samples[i] = clamp16((tail[i] as number) + ((re[i] as number) / size) * (window[i] as number));
      const firstTail = ((re[hop + i] as number) / size) * (window[hop + i] as number);
      samples[hop + i] = clamp16(firstTail + ((im[i] as number) / size) * (window[i] as number));
      tail[i] = ((im[hop + i] as number) / size) * (window[hop + i] as number);
    }
  }

  /** The noise estimate and Wiener gain of bin k, given this window's power there. */
  private gain(k: number, power: number): number {
    const { smoothed, noise, lastClean } = this;
    const s = this.started ? SMOOTH * (smoothed[k] as number) + (1 - SMOOTH) * power : power;
    smoothed[k] = s;
    const n = !this.started || s < (noise[k] as number) ? s : (noise[k] as number) * NOISE_RISE;
    noise[k] = n;
    const noisePower = n * NOISE_BIAS + 1e-3;
    const post = power / noisePower;
    const prio = DD * ((lastClean[k] as number) / noisePower) + (1 - DD) * (post > 1 ? post - 1 : 0);
    const gain = prio / (1 + prio);
    const g = gain < GAIN_FLOOR ? GAIN_FLOOR : gain;
    lastClean[k] = g * g * power;
    return g;
  }
}

function clamp16(v: number): number {
  const r = Math.round(v);
  return r > 32767 ? 32767 : r < -32768 ? -32768 : r;
}
