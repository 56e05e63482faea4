import { expect } from 'chai';
import { gainFactor, volumeValue } from '../../../src/app/mixers/gain';

describe('gain steps', () => {
  it('are 3 dB each as an amplitude factor for the app mixer', () => {
    expect(gainFactor(0)).to.equal(1);
    expect(20 * Math.log10(gainFactor(2))).to.be.closeTo(6.02, 0.01);
    expect(20 * Math.log10(gainFactor(-4))).to.be.closeTo(-12.04, 0.01);
  });

  it('are Asterisk VOLUME() values for the bridge mixer: negative divides, 0 is unity', () => {
    expect(volumeValue(0)).to.equal('0');
    expect(volumeValue(2)).to.equal('2.000');
    expect(volumeValue(-2)).to.equal('-2.000');
  });
});
