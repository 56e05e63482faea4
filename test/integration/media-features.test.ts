import { expect } from 'chai';
import { createApi } from '../../src/app/api';
import { silentLogger } from '../../src/lib/logger';
import { readWav } from '../../src/media/wav';
import type { SimCaller } from '../double';
import { goertzelDb } from '../support/audio';
import { startApp, waitFor, type Running } from '../support/appHarness';

const KEY = 'm'.repeat(24);

const legOf = (r: Running, caller: SimCaller) => {
  const bridge = r.ast.bridges().find((b) => b.name.startsWith('meetme-leg:') && b.channels.includes(caller.channelId));
  const media = bridge?.channels.find((id) => id !== caller.channelId);
  return media === undefined ? undefined : r.ast.channel(media);
};

/** The last `seconds` of what a caller heard, at `rate`. */
const tail = (caller: SimCaller, seconds: number, rate: number) => {
  const heard = caller.heard();
  return heard.subarray(Math.max(0, heard.length - seconds * rate));
};

describe('media features against the ARI double: G.722 legs, per-participant recording', function () {
  this.timeout(30000);
  let r: Running;
  afterEach(async () => r?.stop());

  it('gives G.722 phones G.722 externalMedia legs (PT 9 both ways) and mixes at 16 kHz with a u-law phone', async () => {
    r = await startApp(
      { mixer: { default: 'app' }, conferences: [{ number: '810', name: 'Wide', options: 'q', media: { wideband: true } }] },
      { timing: false, speed: 20 },
    );
    const wide = r.ast.dial({ exten: '810', callerId: 'W <1>', toneHz: 6000, wideband: true });
    const narrow = r.ast.dial({ exten: '810', callerId: 'N <2>', toneHz: 440 });
    const other = r.ast.dial({ exten: '810', callerId: 'O <3>', toneHz: 1000, wideband: true });
    await waitFor(() => [wide, narrow, other].every((c) => legOf(r, c)?.media !== undefined), 8000, 'every leg up');
    expect(legOf(r, wide)!.media!.format).to.equal('g722');
    expect(legOf(r, other)!.media!.format).to.equal('g722');
    expect(legOf(r, narrow)!.media!.format).to.equal('ulaw');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // The other wideband phone hears the 6 kHz tone (a narrowband mix could not carry it) and the u-law caller.
    const heardByOther = tail(other, 0.5, 16000);
    expect(goertzelDb(heardByOther, 6000, 16000)).to.be.greaterThan(-30);
    expect(goertzelDb(heardByOther, 440, 16000)).to.be.greaterThan(-30);
    expect(goertzelDb(heardByOther, 1000, 16000), 'not its own voice').to.be.lessThan(-40);
    // The u-law caller hears the 1 kHz caller through the downsampler, and no 6 kHz folded to 2 kHz.
    const heardByNarrow = tail(narrow, 0.5, 8000);
    expect(goertzelDb(heardByNarrow, 1000)).to.be.greaterThan(-30);
    expect(goertzelDb(heardByNarrow, 2000)).to.be.lessThan(-40);
  });

  it("records one participant's own audio by API, listed in the recordings index with the participant", async () => {
    r = await startApp(
      {
        mixer: { default: 'app' },
        conferences: [{ number: '811', name: 'Notes', options: 'q' }],
        apiKeys: [{ name: 'ops', role: 'admin', key: KEY }],
      },
      { timing: false, speed: 20 },
    );
    const alice = r.ast.dial({ exten: '811', callerId: 'Alice <1>', toneHz: 440 });
    const bob = r.ast.dial({ exten: '811', callerId: 'Bob <2>', toneHz: 880 });
    await waitFor(() => [alice, bob].every((c) => legOf(r, c)?.media !== undefined), 8000, 'both legs up');
    const id = r.app.manager.get('811').participants.find((p) => p.channelId === alice.channelId)!.id;
    const http = await createApi(r.app, r.config, silentLogger());
    const headers = { 'x-api-key': KEY };
    const base = `/api/v1/conferences/811/participants/${encodeURIComponent(id)}/recording`;
    const started = await http.inject({ method: 'POST', url: `${base}/start`, headers });
    expect(started.statusCode).to.equal(201);
    const { name } = started.json<{ name: string }>();
    expect(r.app.manager.get('811').participants.find((p) => p.id === id)!.recording).to.equal(name);
    const again = await http.inject({ method: 'POST', url: `${base}/start`, headers });
    expect(again.json<{ error: { code: string } }>().error.code).to.equal('already_recording');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await http.inject({ method: 'POST', url: `${base}/stop`, headers })).statusCode).to.equal(204);
    const listed = (await http.inject({ url: '/api/v1/recordings', headers })).json<{
      recordings: { name: string; participant: string | null; path: string }[];
    }>();
    const entry = listed.recordings.find((e) => e.name === name)!;
    expect(entry.participant).to.equal(id);
    const { sampleRate, samples } = await readWav(entry.path);
    expect(sampleRate).to.equal(8000);
    expect(samples.length / 8000).to.be.within(1, 2);
    expect(goertzelDb(samples, 440)).to.be.greaterThan(-30);
    expect(goertzelDb(samples, 880), "only Alice's own voice").to.be.lessThan(-50);
    await http.close();
  });

  it('records every participant from their join with media.recordParticipants, and ends the file when they leave', async () => {
    r = await startApp(
      { mixer: { default: 'app' }, conferences: [{ number: '812', name: 'All', options: 'q', media: { recordParticipants: true } }] },
      { timing: false, speed: 20 },
    );
    const alice = r.ast.dial({ exten: '812', callerId: 'Alice <1>', toneHz: 440 });
    await waitFor(() => r.app.manager.list()[0]?.participants[0]?.recording != null, 8000, 'recording from the join');
    await new Promise((resolve) => setTimeout(resolve, 600));
    const name = r.app.manager.get('812').participants[0]!.recording!;
    const events: string[] = [];
    r.app.manager.events.on('event', (e) => events.push(e.type));
    await alice.hangup();
    await waitFor(() => events.includes('recording.stopped'), 5000, 'recording.stopped said');
    await waitFor(() => r.app.recordings.find(name)?.endedAt != null, 5000, 'index entry ended');
    const { samples } = await readWav(r.app.recordings.find(name)!.path);
    expect(samples.length / 8000, 'the seconds Alice was in').to.be.greaterThan(0.4);
  });
});
