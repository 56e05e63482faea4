import { expect } from 'chai';
import { parseOptions } from '../../../src/conference/options';
import { FakeCaller, harness } from './fakes';

const previous = { session: 'meetme-1-20261201-100000', part: 1 };

describe('callers adopted after a takeover', () => {
  it("continue the conference's recording in its next part, once, whichever of them carries it", async () => {
    const h = harness();
    await h.manager.adopt('1', new FakeCaller('c1'), { resume: { recording: previous } });
    await h.manager.adopt('1', new FakeCaller('c2'), { resume: { recording: previous } });
    expect(h.manager.get('1').recording).to.equal('meetme-1-20261201-100000-part2');
    expect(h.app.last.recording).to.equal('meetme-1-20261201-100000-part2');
    expect(h.events.filter((e) => e.type === 'recording.started').map((e) => 'name' in e && e.name)).to.deep.equal([
      'meetme-1-20261201-100000-part2',
    ]);
    await h.manager.stopRecording('1');
    expect(h.app.last.recording).to.equal(undefined);
  });

  it('take over a recording the backend still makes instead of starting a second one', async () => {
    const h = harness({ defaultMixer: 'asterisk' });
    h.asterisk.stillRecording.add(previous.session);
    await h.manager.adopt('1', new FakeCaller('c1'), { resume: { recording: { ...previous, running: true } } });
    expect(h.manager.get('1').recording).to.equal(previous.session);
    expect(h.asterisk.last.recording).to.equal(previous.session);
  });

  it('start a new part when the backend no longer has the one said to be running', async () => {
    const h = harness({ defaultMixer: 'asterisk' });
    await h.manager.adopt('1', new FakeCaller('c1'), { resume: { recording: { ...previous, running: true } } });
    expect(h.manager.get('1').recording).to.equal(`${previous.session}-part2`);
  });

  it("keep their gains, their own recording (in its next part) and their own options' music", async () => {
    const h = harness();
    const own = { session: 'meetme-1-20261201-100000-p-old', part: 2 };
    await h.manager.adopt('1', new FakeCaller('c1'), {
      callerOptions: parseOptions('M'),
      resume: { talkGain: 2, listenGain: -1, ownRecording: own },
    });
    const [p] = h.manager.get('1').participants;
    expect(p).to.include({ talkGain: 2, listenGain: -1, recording: 'meetme-1-20261201-100000-p-old-part3' });
    const media = h.app.last;
    expect(media.calls.filter((c) => c.op === 'setGain').map((c) => c.value)).to.deep.equal([{ talk: 2, listen: -1 }]);
    expect(media.music.has(p!.id), 'alone with M: music').to.equal(true);
    expect(
      h.events.some((e) => e.type === 'participant.gain'),
      'the restored gain is no change to announce',
    ).to.equal(false);
  });
});
