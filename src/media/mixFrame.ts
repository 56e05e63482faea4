/**
 * The N-1 mix as pure functions over typed arrays: sums in Int32, clamped once on the way out. The tick's
 * core, `mix(parties, extra, scratch)`, does no I/O and keeps no state of its own, so it is tested directly.
 */
import { ulawEncodeDifferenceInto, ulawEncodeInto } from './ulaw';

/** sum += input x gain */
export function addInto(sum: Int32Array, input: Int16Array, gain: number): void {
  if (gain === 1) for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (input[i] as number);
  else for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + Math.round((input[i] as number) * gain);
}

/** out = (sum - own x ownGain) x listenGain: what one participant hears, without their own voice. */
export function minusInto(out: Int32Array, sum: Int32Array, own: Int16Array | null, ownGain: number, listenGain: number): void {
  const n = out.length;
  // The cases chosen once a frame, not tested per sample.
  if (own === null) {
    if (listenGain === 1) out.set(sum);
    else for (let i = 0; i < n; i++) out[i] = Math.round((sum[i] as number) * listenGain);
  } else if (ownGain === 1 && listenGain === 1) for (let i = 0; i < n; i++) out[i] = (sum[i] as number) - (own[i] as number);
  else for (let i = 0; i < n; i++) out[i] = Math.round(((sum[i] as number) - Math.round((own[i] as number) * ownGain)) * listenGain);
}

/** One participant's side of a tick, as the mix sees it. */
export interface MixParty {
  /** What they said this tick, 16-bit PCM (meaningful when `hasInput`). */
  readonly input: Int16Array;
  hasInput: boolean;
  /** Heard by the others (not muted, not listen-only). */
  talk: boolean;
  /** Hears the conference (not talk-only). */
  listen: boolean;
  /** Linear amplitude factors. */
  talkGain: number;
  listenGain: number;
  /** Audio only they hear this tick, instead of the conference (a prompt, music), or null. */
  own: Int16Array | null;
  /** Where the u-law frame they hear is written. */
  out: Uint8Array;
  /**
   * They take u-law at the room's rate, which has no state: one encoded frame serves everyone who hears the same.
   * Otherwise (G.722, or a u-law leg in a 16 kHz room) `encode` makes their frame from what they hear.
   */
  shareable: boolean;
  encode(pcm: Int16Array | Int32Array, n: number): void;
}

/** Buffers the mix reuses every tick, so a tick allocates nothing. */
export interface MixScratch {
  readonly sum: Int32Array;
  readonly minus: Int32Array;
  readonly silence: Int16Array;
  readonly shared: Uint8Array;
}

export function newMixScratch(samples: number): MixScratch {
  return {
    sum: new Int32Array(samples),
    minus: new Int32Array(samples),
    silence: new Int16Array(samples),
    shared: new Uint8Array(samples),
  };
}

/** A party with its own encoder: what they hear, handed to it. */
function hearEncoded(party: MixParty, sum: Int32Array, minus: Int32Array, silence: Int16Array, n: number): void {
  if (party.own) party.encode(party.own, n);
  else if (!party.listen) party.encode(silence, n);
  else if ((!party.talk || !party.hasInput) && party.listenGain === 1) party.encode(sum, n);
  else {
    minusInto(minus, sum, party.talk && party.hasInput ? party.input : null, party.talkGain, party.listenGain);
    party.encode(minus, n);
  }
}

/**
 * One tick of a conference: every talker summed (with `extra`, an announcement everyone hears), and each
 * party's `out` filled with what they hear: the sum minus their own voice, with their listen gain; their
 * own audio instead when they have some; silence when they do not listen. Parties who add nothing to the
 * sum share one encoded frame. Returns the sum, what a recording of the conference holds.
 */
export function mix(parties: readonly MixParty[], extra: Int16Array | null, scratch: MixScratch): Int32Array {
  const { sum, minus, silence, shared } = scratch;
  const n = sum.length;
  sum.fill(0);
  for (let p = 0; p < parties.length; p++) {
    const party = parties[p] as MixParty;
    if (party.talk && party.hasInput) addInto(sum, party.input, party.talkGain);
  }
  if (extra) addInto(sum, extra, 1);
  let sharedReady = false;
  for (let p = 0; p < parties.length; p++) {
    const party = parties[p] as MixParty;
    if (!party.shareable) {
      hearEncoded(party, sum, minus, silence, n);
      continue;
    }
    if (party.own) ulawEncodeInto(party.own, party.out, 0, n);
    else if (!party.listen) ulawEncodeInto(silence, party.out, 0, n);
    else if ((!party.talk || !party.hasInput) && party.listenGain === 1) {
      if (!sharedReady) {
        ulawEncodeInto(sum, shared, 0, n);
        sharedReady = true;
      }
      party.out.set(shared);
    } else if (party.talk && party.hasInput && party.talkGain === 1 && party.listenGain === 1) {
      // The common talker: the sum without their voice, encoded in the same loop.
      ulawEncodeDifferenceInto(sum, party.input, party.out, n);
    } else {
      minusInto(minus, sum, party.talk && party.hasInput ? party.input : null, party.talkGain, party.listenGain);
      ulawEncodeInto(minus, party.out, 0, n);
    }
  }
  return sum;
}
