import { expect } from 'chai';
import { mix, newMixScratch, type MixParty } from '../../../src/media/mixFrame';
import { ULAW_DECODE } from '../../../src/media/ulaw';
import { goertzelDb, sine } from '../../support/audio';

const FRAME = 160;
const TONES = [440, 880, 1200];

/** A participant saying a tone (or nothing), with everything else at its default. */
function party(hz: number | null, settings: Partial<MixParty> = {}): MixParty {
  return {
    input: hz === null ? new Int16Array(FRAME) : sine(hz, FRAME),
    hasInput: hz !== null,
    talk: true,
    listen: true,
    talkGain: 1,
    listenGain: 1,
    own: null,
    out: new Uint8Array(FRAME),
    shareable: true,
    encode: () => undefined,
    ...settings,
  };
}

/** What a party hears, decoded. */
const heard = (p: MixParty) => Int16Array.from(p.out, (code) => ULAW_DECODE[code]!);

describe('mix: one tick of a conference, as a pure function', () => {
  const scratch = newMixScratch(FRAME);

  it('gives each party everyone but themselves (N-1)', () => {
    const parties = TONES.map((hz) => party(hz));
    mix(parties, null, scratch);
    parties.forEach((p, i) => {
      const frame = heard(p);
      for (const hz of TONES)
        if (hz !== TONES[i])
          expect(goertzelDb(frame, hz) - goertzelDb(frame, TONES[i]!), `party ${i}: ${hz} over own`).to.be.greaterThan(20);
    });
  });

  it('leaves a muted party out of what the others hear, and they still hear the rest', () => {
    const parties = TONES.map((hz, i) => party(hz, { talk: i !== 0 }));
    mix(parties, null, scratch);
    const b = heard(parties[1]!);
    expect(goertzelDb(b, 440) - goertzelDb(b, 1200), 'muted 440 Hz gone for party 1').to.be.lessThan(-30);
    const a = heard(parties[0]!);
    expect(goertzelDb(a, 880), 'the muted party still hears').to.be.greaterThan(-30);
  });

  it('sends silence to a party that does not listen (talk-only), who is still heard', () => {
    const parties = TONES.map((hz, i) => party(hz, { listen: i !== 2 }));
    mix(parties, null, scratch);
    expect(Math.max(...heard(parties[2]!).map(Math.abs))).to.equal(0);
    expect(goertzelDb(heard(parties[0]!), 1200)).to.be.greaterThan(-30);
  });

  it('applies talk and listen gains as amplitude factors (2 is +6 dB)', () => {
    const plain = TONES.map((hz) => party(hz));
    mix(plain, null, scratch);
    const louder = TONES.map((hz, i) => party(hz, { listenGain: i === 1 ? 2 : 1, talkGain: i === 0 ? 0.5 : 1 }));
    mix(louder, null, scratch);
    expect(goertzelDb(heard(louder[1]!), 1200) - goertzelDb(heard(plain[1]!), 1200), 'listen x2').to.be.closeTo(6, 0.5);
    expect(goertzelDb(heard(louder[2]!), 440) - goertzelDb(heard(plain[2]!), 440), 'talk x0.5').to.be.closeTo(-6, 0.5);
  });

  it("plays a party's own audio (a prompt, music) instead of the conference", () => {
    const parties = TONES.map((hz, i) => party(hz, { own: i === 0 ? sine(300, FRAME) : null }));
    mix(parties, null, scratch);
    const a = heard(parties[0]!);
    expect(goertzelDb(a, 300) - goertzelDb(a, 880)).to.be.greaterThan(30);
    expect(goertzelDb(heard(parties[1]!), 440), 'and is still heard by the others').to.be.greaterThan(-30);
  });

  it('adds an announcement for everyone, talkers included, and returns the sum a recording gets', () => {
    const parties = [party(440), party(null), party(null)];
    const sum = mix(parties, sine(1000, FRAME), scratch);
    for (const p of parties) expect(goertzelDb(heard(p), 1000)).to.be.greaterThan(-30);
    const recorded = Int16Array.from(sum);
    expect(goertzelDb(recorded, 440)).to.be.greaterThan(-30);
    expect(goertzelDb(recorded, 1000)).to.be.greaterThan(-30);
  });

  it('gives every silent listener the same frame, and clamps a loud sum instead of wrapping', () => {
    const parties = [
      party(440, { input: sine(440, FRAME, 30000) }),
      party(440, { input: sine(440, FRAME, 30000) }),
      party(null),
      party(null),
    ];
    mix(parties, null, scratch);
    expect(Buffer.from(parties[2]!.out).equals(Buffer.from(parties[3]!.out))).to.equal(true);
    const loud = heard(parties[2]!);
    // 60,000 at the peaks is clamped to full scale; a wrap would turn the peaks negative.
    expect(Math.max(...loud)).to.be.greaterThan(30000);
    expect(loud[Math.round(8000 / 440 / 4)]).to.be.greaterThan(30000);
  });
});
