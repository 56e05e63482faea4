/**
 * G.722 at 64 kbit/s (mode 1), written from the ITU-T G.722 (09/2012) description: a 24-tap QMF splits 16 kHz
 * audio into two 8 kHz sub-bands; the lower is coded with 6-bit ADPCM (4 bits of it drive the adaptation), the
 * higher with 2-bit ADPCM; each band has a two-pole, six-zero adaptive predictor. One byte per pair of input
 * samples: the high band's 2 bits over the low band's 6.
 *
 * Samples are 16-bit linear, taken in and given out at the scale Asterisk's codec_g722 uses (the QMF sums shifted
 * by 14 on the way in and by 11 on the way out instead of the Recommendation's 13 and 12 for 14-bit PCM), so the
 * bytes equal Asterisk's for the same audio (test/fixtures/g722).
 */

/** The QMF coefficients h(0)..h(23) of the Recommendation's Table, scaled by 2^13. */
const QMF = [3, -11, -11, 53, 12, -156, 32, 362, -210, -805, 951, 3876, 3876, 951, -805, -210, 362, 32, -156, 12, 53, -11, -11, 3];

/** Lower band: decision levels of the 6-bit quantizer (QUANTL), indexed by magnitude level 1..29. */
const Q6 = [
  0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940, 1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980,
  2195, 2557, 2919,
];
/** Codewords for a magnitude level, negative and positive difference. */
const ILN = [0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 0];
const ILP = [0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 0];
/** Inverse quantizers: 4-bit (the predictor's, INVQAL) and 6-bit (the lower band's output, INVQBL), as the Recommendation's tables give them. */
const QM4 = [0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584, 1200, 0];
const QM6 = [
  -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232, -9360, -8576, -7856, -7192, -6576, -6000,
  -5456, -4944, -4464, -4008, -3576, -3168, -2776, -2400, -2032, -1688, -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280,
  11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776, 2400, 2032, 1688, 1360, 1040, 728, 432, 136,
  -432, -136,
];
/** Scale factor adaptation (LOGSCL): the 4-bit codeword's magnitude class, and its log-domain step. */
const RL42 = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];
const WL = [-60, -30, 58, 172, 334, 538, 1198, 3042];
/** The antilog table of SCALEL and SCALEH. */
const ILB = [
  2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834, 2896, 2960, 3025, 3091, 3158, 3228, 3298,
  3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];
/** Higher band: codewords (QUANTH), inverse quantizer (INVQAH), adaptation (LOGSCH). */
const IHN = [0, 1, 0];
const IHP = [0, 3, 2];
const QM2 = [-7408, -1616, 7408, 1616];
const IH2 = [2, 1, 2, 1];
const WH = [0, -214, 798];

function sat16(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

/** Sign bit of a 16-bit value as the Recommendation compares them: -1 for negative, 0 otherwise. */
function sign(v: number): number {
  return v >> 15;
}

/**
 * One sub-band's ADPCM state: the scale factor (its log NB and linear DET), and the adaptive predictor's
 * coefficients (A: poles, B: zeros) with their past inputs (D: quantized differences, P: partial
 * reconstructions, R: reconstructed signal). Index 0 holds the current sample, 1.. the delayed ones.
 */
class Band {
  nb = 0;
  det: number;
  s = 0;
  sz = 0;
  readonly a = new Int32Array(3);
  readonly b = new Int32Array(7);
  readonly d = new Int32Array(7);
  readonly p = new Int32Array(3);
  readonly r = new Int32Array(3);

  constructor(det: number) {
    this.det = det;
  }

  /**
   * After each sample, with the quantized difference `dq`: RECONS, PARREC, UPPOL2, UPPOL1, UPZERO, the delays,
   * FILTEP, FILTEZ and PREDIC, leaving `s` (and `sz`) the prediction for the next sample.
   */
  adapt(dq: number): void {
    const { a, b, d, p, r } = this;
    r[0] = sat16(this.s + dq);
    p[0] = sat16(this.sz + dq);
    // UPPOL2
    const sg0 = sign(p[0]);
    const sg1 = sign(p[1] as number);
    const sg2 = sign(p[2] as number);
    let wd = sat16((a[1] as number) * 4);
    wd = sg0 === sg1 ? -wd : wd;
    if (wd > 32767) wd = 32767;
    let a2 = (wd >> 7) + (sg0 === sg2 ? 128 : -128) + (((a[2] as number) * 32512) >> 15);
    a2 = a2 > 12288 ? 12288 : a2 < -12288 ? -12288 : a2;
    // UPPOL1
    let a1 = sat16((sg0 === sg1 ? 192 : -192) + (((a[1] as number) * 32640) >> 15));
    const limit = 15360 - a2;
    a1 = a1 > limit ? limit : a1 < -limit ? -limit : a1;
    // UPZERO, then DELAYZ: the zeros leak towards 0 and step towards agreeing signs.
    const step = dq === 0 ? 0 : 128;
    const sgd = sign(dq);
    for (let i = 1; i <= 6; i++) b[i] = sat16((sign(d[i] as number) === sgd ? step : -step) + (((b[i] as number) * 32640) >> 15));
    for (let i = 6; i >= 2; i--) d[i] = d[i - 1] as number;
    d[1] = dq;
    // DELAYA
    r[2] = r[1] as number;
    r[1] = r[0];
    p[2] = p[1] as number;
    p[1] = p[0];
    a[2] = a2;
    a[1] = a1;
    // FILTEP
    const sp = sat16(((a[1] * sat16(r[1] * 2)) >> 15) + ((a[2] * sat16(r[2] * 2)) >> 15));
    // FILTEZ
    let sz = 0;
    for (let i = 6; i >= 1; i--) sz += ((b[i] as number) * sat16((d[i] as number) * 2)) >> 15;
    this.sz = sat16(sz);
    // PREDIC
    this.s = sat16(sp + this.sz);
  }
}

/** LOGSCL and SCALEL: the lower band's scale factor after codeword `il` (its 4 most significant bits used). */
function adaptLowScale(band: Band, il4: number): void {
  let nb = ((band.nb * 127) >> 7) + (WL[RL42[il4] as number] as number);
  nb = nb < 0 ? 0 : nb > 18432 ? 18432 : nb;
  band.nb = nb;
  const shift = 8 - (nb >> 11);
  const wd = ILB[(nb >> 6) & 31] as number;
  band.det = (shift < 0 ? wd << -shift : wd >> shift) << 2;
}

/** LOGSCH and SCALEH. */
function adaptHighScale(band: Band, ih: number): void {
  let nb = ((band.nb * 127) >> 7) + (WH[IH2[ih] as number] as number);
  nb = nb < 0 ? 0 : nb > 22528 ? 22528 : nb;
  band.nb = nb;
  const shift = 10 - (nb >> 11);
  const wd = ILB[(nb >> 6) & 31] as number;
  band.det = (shift < 0 ? wd << -shift : wd >> shift) << 2;
}

/** The initial scale factors (DETL, DETH) the Recommendation resets to. */
const DETL0 = 32;
const DETH0 = 8;

/** A G.722 encoder: 16 kHz PCM in, one byte per two samples out. Keeps its state from call to call. */
export class G722Encoder {
  private readonly low = new Band(DETL0);
  private readonly high = new Band(DETH0);
  /** The transmit QMF's last 24 input samples, oldest first. */
  private readonly x = new Int32Array(24);

  /** Encodes `samples` (even) samples of `pcm` into `out` from `offset`; returns the bytes written. */
  encode(pcm: Int16Array | Int32Array, samples: number, out: Uint8Array, offset = 0): number {
    const { x, low, high } = this;
    let o = offset;
    for (let j = 0; j + 1 < samples; j += 2) {
      x.copyWithin(0, 2);
      x[22] = sat16(pcm[j] as number);
      x[23] = sat16(pcm[j + 1] as number);
      // Transmit QMF: the even and odd taps, summed and differenced into the two bands.
      // xA: h(2i) x(j - 2i), xB: h(2i + 1) x(j - 2i - 1); h is symmetric, so each tap is h at the sample's index.
      let xa = 0;
      let xb = 0;
      for (let i = 0; i < 12; i++) {
        xa += (x[2 * i + 1] as number) * (QMF[2 * i + 1] as number);
        xb += (x[2 * i] as number) * (QMF[2 * i] as number);
      }
      const xl = (xa + xb) >> 14;
      const xh = (xa - xb) >> 14;

      // Lower band: SUBTRA, QUANTL, INVQAL, LOGSCL/SCALEL, then the predictor.
      const el = sat16(xl - low.s);
      const wl = el >= 0 ? el : -(el + 1);
      let m = 1;
      while (m < 30 && wl >= ((Q6[m] as number) * low.det) >> 12) m++;
      const il = el < 0 ? (ILN[m] as number) : (ILP[m] as number);
      const il4 = il >> 2;
      const dl = (low.det * (QM4[il4] as number)) >> 15;
      adaptLowScale(low, il4);
      low.adapt(dl);

      // Higher band: SUBTRA, QUANTH, INVQAH, LOGSCH/SCALEH, then the predictor.
      const eh = sat16(xh - high.s);
      const wh = eh >= 0 ? eh : -(eh + 1);
      const mh = wh >= (564 * high.det) >> 12 ? 2 : 1;
      const ih = eh < 0 ? (IHN[mh] as number) : (IHP[mh] as number);
      const dh = (high.det * (QM2[ih] as number)) >> 15;
      adaptHighScale(high, ih);
      high.adapt(dh);

      out[o++] = (ih << 6) | il;
    }
    return o - offset;
  }
}

/** A G.722 decoder: one byte in, two 16 kHz samples out. Keeps its state from call to call. */
export class G722Decoder {
  private readonly low = new Band(DETL0);
  private readonly high = new Band(DETH0);
  /** The receive QMF's last 24 inputs: sums and differences of the bands, interleaved, oldest first. */
  private readonly x = new Int32Array(24);

  /** Decodes `bytes` bytes of `input` from `offset` into `pcm` (2 samples a byte); returns the samples written. */
  decode(input: Uint8Array, offset: number, bytes: number, pcm: Int16Array): number {
    const { x, low, high } = this;
    let o = 0;
    for (let k = 0; k < bytes; k++) {
      const code = input[offset + k] as number;
      const il = code & 63;
      const ih = code >> 6;

      // Lower band: INVQBL for the output (all 6 bits), INVQAL for the predictor (4 bits).
      const il4 = il >> 2;
      const dl6 = (low.det * (QM6[il] as number)) >> 15;
      let rl = low.s + dl6;
      rl = rl > 16383 ? 16383 : rl < -16384 ? -16384 : rl;
      const dl = (low.det * (QM4[il4] as number)) >> 15;
      adaptLowScale(low, il4);
      low.adapt(dl);

      const dh = (high.det * (QM2[ih] as number)) >> 15;
      let rh = high.s + dh;
      rh = rh > 16383 ? 16383 : rh < -16384 ? -16384 : rh;
      adaptHighScale(high, ih);
      high.adapt(dh);

      // Receive QMF: the difference and the sum of the bands through the even and odd taps.
      x.copyWithin(0, 2);
      x[22] = rl + rh;
      x[23] = rl - rh;
      let first = 0;
      let second = 0;
      for (let i = 0; i < 12; i++) {
        second += (x[2 * i] as number) * (QMF[2 * i] as number);
        first += (x[2 * i + 1] as number) * (QMF[2 * i + 1] as number);
      }
      pcm[o++] = sat16(first >> 11);
      pcm[o++] = sat16(second >> 11);
    }
    return o;
  }
}
