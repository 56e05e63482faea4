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

/**
 * One sub-band's ADPCM state: the scale factor (its log NB and linear DET), and the adaptive predictor's
 * coefficients (a: poles, b: zeros) with their past inputs (d: quantized differences, p: partial
 * reconstructions, r: reconstructed signal), numbered by delay. Plain fields, not arrays: the predictor runs
 * twice per sample pair and indexing small arrays cost three times as much.
 */
class Band {
  nb = 0;
  det: number;
  s = 0;
  sz = 0;
  a1 = 0;
  a2 = 0;
  b1 = 0;
  b2 = 0;
  b3 = 0;
  b4 = 0;
  b5 = 0;
  b6 = 0;
  d1 = 0;
  d2 = 0;
  d3 = 0;
  d4 = 0;
  d5 = 0;
  d6 = 0;
  p1 = 0;
  p2 = 0;
  r1 = 0;
  r2 = 0;

  constructor(det: number) {
    this.det = det;
  }

  /**
   * After each sample, with the quantized difference `dq`: RECONS, PARREC, UPPOL2, UPPOL1, UPZERO, the delays,
   * FILTEP, FILTEZ and PREDIC, leaving `s` (and `sz`) the prediction for the next sample.
   */
  adapt(dq: number): void {
    const r0 = sat16(this.s + dq);
    const p0 = sat16(this.sz + dq);
    // UPPOL2
    const sg0 = p0 >> 15;
    const sg1 = this.p1 >> 15;
    const sg2 = this.p2 >> 15;
    let wd = sat16(this.a1 * 4);
    wd = sg0 === sg1 ? -wd : wd;
    if (wd > 32767) wd = 32767;
    let a2 = (wd >> 7) + (sg0 === sg2 ? 128 : -128) + ((this.a2 * 32512) >> 15);
    a2 = a2 > 12288 ? 12288 : a2 < -12288 ? -12288 : a2;
    // UPPOL1
    let a1 = sat16((sg0 === sg1 ? 192 : -192) + ((this.a1 * 32640) >> 15));
    const limit = 15360 - a2;
    a1 = a1 > limit ? limit : a1 < -limit ? -limit : a1;
    // UPZERO: the zeros leak towards 0 and step towards agreeing signs.
    const step = dq === 0 ? 0 : 128;
    const sgd = dq >> 15;
    const b1 = sat16((this.d1 >> 15 === sgd ? step : -step) + ((this.b1 * 32640) >> 15));
    const b2 = sat16((this.d2 >> 15 === sgd ? step : -step) + ((this.b2 * 32640) >> 15));
    const b3 = sat16((this.d3 >> 15 === sgd ? step : -step) + ((this.b3 * 32640) >> 15));
    const b4 = sat16((this.d4 >> 15 === sgd ? step : -step) + ((this.b4 * 32640) >> 15));
    const b5 = sat16((this.d5 >> 15 === sgd ? step : -step) + ((this.b5 * 32640) >> 15));
    const b6 = sat16((this.d6 >> 15 === sgd ? step : -step) + ((this.b6 * 32640) >> 15));
    // DELAYZ, DELAYA
    this.d6 = this.d5;
    this.d5 = this.d4;
    this.d4 = this.d3;
    this.d3 = this.d2;
    this.d2 = this.d1;
    this.d1 = dq;
    this.b1 = b1;
    this.b2 = b2;
    this.b3 = b3;
    this.b4 = b4;
    this.b5 = b5;
    this.b6 = b6;
    this.r2 = this.r1;
    this.r1 = r0;
    this.p2 = this.p1;
    this.p1 = p0;
    this.a1 = a1;
    this.a2 = a2;
    // FILTEP
    const sp = sat16(((a1 * sat16(r0 * 2)) >> 15) + ((a2 * sat16(this.r2 * 2)) >> 15));
    // FILTEZ
    const sz = sat16(
      ((b1 * sat16(this.d1 * 2)) >> 15) +
        ((b2 * sat16(this.d2 * 2)) >> 15) +
        ((b3 * sat16(this.d3 * 2)) >> 15) +
        ((b4 * sat16(this.d4 * 2)) >> 15) +
        ((b5 * sat16(this.d5 * 2)) >> 15) +
        ((b6 * sat16(this.d6 * 2)) >> 15),
    );
    this.sz = sz;
    // PREDIC
    this.s = sat16(sp + sz);
  }
}

/** LOGSCL/SCALEL and LOGSCH/SCALEH: the scale factor stepped by `weight` in the log domain, limited, made linear. */
function adaptScale(band: Band, weight: number, limit: number, base: number): void {
  let nb = ((band.nb * 127) >> 7) + weight;
  nb = nb < 0 ? 0 : nb > limit ? limit : nb;
  band.nb = nb;
  const shift = base - (nb >> 11);
  const wd = ILB[(nb >> 6) & 31] as number;
  band.det = (shift < 0 ? wd << -shift : wd >> shift) << 2;
}

/** The lower band's scale factor after codeword `il` (its 4 most significant bits used). */
function adaptLowScale(band: Band, il4: number): void {
  adaptScale(band, WL[RL42[il4] as number] as number, 18432, 8);
}

/** The higher band's scale factor after codeword `ih`. */
function adaptHighScale(band: Band, ih: number): void {
  adaptScale(band, WH[IH2[ih] as number] as number, 22528, 10);
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
      for (let i = 0; i < 22; i++) x[i] = x[i + 2] as number;
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
      // The first level whose decision threshold is above the difference (the thresholds rise with the level).
      let lo = 1;
      let hi = 30;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (wl >= ((Q6[mid] as number) * low.det) >> 12) lo = mid + 1;
        else hi = mid;
      }
      const m = lo;
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
      for (let i = 0; i < 22; i++) x[i] = x[i + 2] as number;
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
