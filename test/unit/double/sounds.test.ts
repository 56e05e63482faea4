import { expect } from 'chai';
import { promptSounds } from '../../../src/cli/doctor/checks';
import { DEFAULT_PROMPTS } from '../../../src/conference/prompts';
import { SOUNDS, mediaDuration } from '../../double/sounds';

describe('the ARI double plays sounds as long as the real files last', () => {
  it('knows the length of every sound the app can play (every prompt, the doctor checks the same list)', () => {
    const missing = promptSounds(DEFAULT_PROMPTS).filter((name) => SOUNDS[name] === undefined);
    expect(missing).to.deep.equal([]);
    // Counts, time left and conference numbers are said from the digit files.
    for (const uri of ['number:0', 'number:19', 'number:59', 'number:120', 'digits:0123456789*#'])
      expect(mediaDuration(uri), uri).to.include({ ok: true });
  });

  it('plays conf-hasjoin in 1761 ms, and says digits, numbers and letters from their files as the lab timed them', () => {
    expect(mediaDuration('sound:conf-hasjoin').ms).to.equal(1761);
    // FINDINGS "Prompts and DTMF collection": conf-getpin 2389 ms, digits:1234 3.3 s, number:17 1.2 s, characters:abc 2.2 s.
    expect(mediaDuration('sound:conf-getpin').ms).to.be.closeTo(2389, 5);
    expect(mediaDuration('digits:1234').ms).to.be.closeTo(3300, 100);
    expect(mediaDuration('number:17').ms).to.be.closeTo(1200, 100);
    expect(mediaDuration('characters:abc').ms).to.be.closeTo(2200, 100);
    // say_number in English: twenty-five is "twenty" then "five"; a missing file fails the playback.
    expect(mediaDuration('number:25').ms).to.equal(SOUNDS['digits/20']! + SOUNDS['digits/5']!);
    expect(mediaDuration('sound:conf-nosuchprompt')).to.include({ ok: false });
  });
});
