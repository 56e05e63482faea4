import { expect } from 'chai';
import { chooseMixer } from '../../../src/app/mixers/autoMixer';

describe('mixer auto: the cheapest correct mixer for what Asterisk has', () => {
  it('takes the app mixer without a timing module, whatever else (softmix would be silent)', () => {
    for (const sipLegs of [false, true])
      for (const directMedia of [false, true]) expect(chooseMixer({ timing: false, sipLegs, directMedia }).mixer).to.equal('app');
  });

  it('with a timer, takes the app mixer only when Asterisk is out of the media path (SIP legs with direct media)', () => {
    expect(chooseMixer({ timing: true, sipLegs: true, directMedia: true }).mixer).to.equal('app');
    expect(chooseMixer({ timing: true, sipLegs: true, directMedia: false }).mixer).to.equal('asterisk');
    expect(chooseMixer({ timing: true, sipLegs: false, directMedia: false }).mixer).to.equal('asterisk');
    // direct_media on an endpoint the app cannot use (no SIP legs) changes nothing.
    expect(chooseMixer({ timing: true, sipLegs: false, directMedia: true }).mixer).to.equal('asterisk');
  });
});
