import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { SimCaller } from '../double';
import { goertzelDb } from '../support/audio';
import { startApp, waitFor, type Running } from '../support/appHarness';

const TONES = [440, 880, 1200] as const;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The samples of a WAV whose header must agree with the file: RIFF and data lengths from its size. */
function validWav(path: string): Int16Array {
  const bytes = readFileSync(path);
  expect(bytes.toString('ascii', 0, 4), path).to.equal('RIFF');
  expect(bytes.readUInt32LE(4), `${path} RIFF length`).to.equal(bytes.length - 8);
  expect(bytes.readUInt32LE(40), `${path} data length`).to.equal(bytes.length - 44);
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset + 44, bytes.byteOffset + bytes.length));
}

describe('recordings across a media thread restarted in place (the app mixer, the ARI double)', function () {
  this.timeout(40000);
  let r: Running;
  afterEach(async () => r?.stop());

  it('the conference recording and a participant recording go on in part 2, part 1 ended with a valid WAV, both linked by session', async () => {
    r = await startApp(
      { mixer: { default: 'app' }, media: { threads: 1 }, conferences: [{ number: '800', name: 'Tones', options: 'q' }] },
      { timing: false, speed: 20 },
    );
    const callers: SimCaller[] = TONES.map((hz, i) => r.ast.dial({ exten: '800', callerId: `C${i} <10${i}>`, toneHz: hz }));
    await waitFor(() => r.app.manager.list()[0]?.participants.length === 3, 8000, 'three callers in');
    const caller1 = r.app.manager.get('800').participants.find((p) => p.channelId === callers[1]!.channelId)!;
    await sleep(800);
    const session = await r.app.manager.startRecording('800');
    const ownSession = await r.app.manager.startParticipantRecording('800', caller1.id);
    // Mid-second: the killed writer's header lags what it wrote.
    await sleep(2500);
    await r.app.engine.kill(0, 'a crash, for the test');
    await waitFor(() => r.app.manager.get('800')?.recording === `${session}-part2`, 8000, 'part 2 of the conference recording');
    await waitFor(
      () => r.app.manager.get('800')?.participants.find((p) => p.id === caller1.id)?.recording === `${ownSession}-part2`,
      5000,
      'part 2 of the participant recording',
    );
    await sleep(2000);
    await r.app.manager.stopRecording('800');
    await r.app.manager.stopParticipantRecording('800', caller1.id);
    await waitFor(
      () => {
        const all = r.app.recordings.list();
        return all.length === 4 && all.every((e) => e.endedAt !== null && e.sizeBytes !== null);
      },
      5000,
      'four parts ended in the index',
    );
    for (const [name, participant] of [
      [session, null],
      [ownSession, caller1.id],
    ] as const) {
      const mine = r.app.recordings
        .list()
        .filter((e) => e.session === name)
        .sort((x, y) => x.part - y.part);
      expect(mine.map((e) => [e.name, e.part])).to.deep.equal([
        [name, 1],
        [`${name}-part2`, 2],
      ]);
      expect(Date.parse(mine[1]!.startedAt)).to.be.at.least(Date.parse(mine[0]!.endedAt!) - 1000);
      for (const entry of mine) {
        expect(entry.participant ?? null, entry.name).to.equal(participant);
        const samples = validWav(entry.path);
        expect(entry.sizeBytes, entry.name).to.equal(44 + samples.length * 2);
        expect(samples.length, entry.name).to.be.at.least(8000);
        expect(goertzelDb(samples.subarray(samples.length - 8000), 880), entry.name).to.be.greaterThan(-40);
      }
    }
  });
  it('a paused recording continues paused in part 2 after its thread restarts, and resume records again', async () => {
    r = await startApp(
      { mixer: { default: 'app' }, media: { threads: 1 }, conferences: [{ number: '800', name: 'Tones', options: 'q' }] },
      { timing: false, speed: 20 },
    );
    TONES.map((hz, i) => r.ast.dial({ exten: '800', callerId: `C${i} <10${i}>`, toneHz: hz }));
    await waitFor(() => r.app.manager.list()[0]?.participants.length === 3, 8000, 'three callers in');
    const session = await r.app.manager.startRecording('800');
    await sleep(1000);
    await r.app.manager.pauseRecording('800', true);
    await r.app.engine.kill(0, 'a crash, for the test');
    await waitFor(() => r.app.manager.get('800')?.recording === `${session}-part2`, 8000, 'part 2 of the conference recording');
    expect(r.app.manager.get('800').recordingPaused, 'still paused').to.equal(true);
    const path = r.app.recordings.find(`${session}-part2`)!.path;
    await sleep(1500);
    expect(readFileSync(path).length - 44, 'bytes recorded while paused').to.be.lessThan(1600);
    await r.app.manager.pauseRecording('800', false);
    await sleep(1500);
    await r.app.manager.stopRecording('800');
    await waitFor(() => r.app.recordings.find(`${session}-part2`)?.endedAt != null, 5000, 'part 2 ended');
    expect(validWav(path).length, 'resumed: a second at least').to.be.at.least(8000);
  });
});
