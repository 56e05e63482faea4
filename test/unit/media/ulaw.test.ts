import { expect } from 'chai';
import { ULAW_DECODE, ulawEncodeSample } from '../../../src/media/ulaw';

describe('G.711 u-law', () => {
  it('matches the standard table at known points', () => {
    expect(ulawEncodeSample(0)).to.equal(0xff);
    expect(ULAW_DECODE[0xff]).to.equal(0);
    expect(ULAW_DECODE[0x7f]).to.equal(0);
    expect(ULAW_DECODE[0x80]).to.equal(32124);
    expect(ULAW_DECODE[0x00]).to.equal(-32124);
    expect(ulawEncodeSample(32767)).to.equal(0x80);
    expect(ulawEncodeSample(-32768)).to.equal(0x00);
  });

  it('re-encodes every decoded code to itself (but negative zero)', () => {
    for (let code = 0; code < 256; code++) {
      if (code === 0x7f) continue;
      expect(ulawEncodeSample(ULAW_DECODE[code]!), `code ${code}`).to.equal(code);
    }
  });

  it('keeps the error within the segment step', () => {
    for (let s = -32000; s <= 32000; s += 97) {
      const back = ULAW_DECODE[ulawEncodeSample(s)]!;
      expect(Math.abs(back - s)).to.be.at.most(Math.max(8, Math.abs(s) / 16));
    }
  });
});
