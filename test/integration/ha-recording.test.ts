import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsteriskDouble, type SimCaller } from '../double';
import { goertzelDb, makeSounds } from '../support/audio';
import { launchInstance, type Instance, stopInstances } from '../support/haInstance';
import { waitFor } from '../support/logger';
import { RedisServer } from '../support/redisServer';

const KEY = 'ha-test-admin-key-0123456789';
const TONES = [440, 880, 1200] as const;

interface Entry {
  name: string;
  conference: string;
  session: string;
  part: number;
  startedAt: string;
  endedAt: string | null;
  sizeBytes: number | null;
  path: string;
  participant: string | null;
}

async function api(
  instance: Instance,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${instance.port}${path}`, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** The samples of a WAV whose header must agree with the file: RIFF and data lengths from its size. */
function validWav(path: string): Int16Array {
  const bytes = readFileSync(path);
  expect(bytes.toString('ascii', 0, 4), path).to.equal('RIFF');
  expect(bytes.readUInt32LE(4), `${path} RIFF length`).to.equal(bytes.length - 8);
  expect(bytes.readUInt32LE(40), `${path} data length`).to.equal(bytes.length - 44);
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset + 44, bytes.byteOffset + bytes.length));
}

/** What a caller heard in the last 200 ms at `hz`. */
const recent = (caller: SimCaller, hz: number): number => {
  const heard = caller.heard();
  return goertzelDb(heard.subarray(Math.max(0, heard.length - 1600)), hz);
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('recordings, music and gains across a takeover (two instances, a real redis-server, the ARI double)', function () {
  this.timeout(90000);
  let ast: AsteriskDouble;
  let redis: RedisServer;
  let recordingsDir: string;
  let sounds: { soundsDir: string; musicDir: string };
  const instances: Instance[] = [];

  async function launch(name: string): Promise<Instance> {
    // One recordings directory for both, as an HA deployment shares it: the new holder repairs part 1 there.
    const env = { RECORDINGS_DIR: recordingsDir, SOUNDS_DIR: sounds.soundsDir, MOH_DIR: sounds.musicDir };
    const instance = await launchInstance(name, { ariUrl: ast.url, redisUrl: redis.url, apiKey: KEY, env });
    instances.push(instance);
    return instance;
  }

  beforeEach(async () => {
    ast = await AsteriskDouble.start({ timing: false, speed: 20, users: { 'node-a': 'secret', 'node-b': 'secret' } });
    redis = await RedisServer.start();
    recordingsDir = mkdtempSync(join(tmpdir(), 'ha-rec-'));
    sounds = makeSounds();
  });

  afterEach(async function () {
    await stopInstances(instances, this.currentTest?.state === 'failed');
    await ast.stop();
    await redis.stop();
    rmSync(recordingsDir, { recursive: true, force: true });
    rmSync(sounds.soundsDir, { recursive: true, force: true });
  });

  /** A active with three callers in conference 800 (a tone each), B standing by. */
  async function conference(): Promise<{ a: Instance; b: Instance; callers: SimCaller[]; ids: string[] }> {
    const a = await launch('a');
    await waitFor(() => a.output().includes('lease taken'), 10000, 'a active');
    const b = await launch('b');
    const callers = TONES.map((hz, i) => ast.dial({ exten: '800', callerId: `C${i} <10${i}>`, toneHz: hz }));
    await waitFor(() => ast.bridges().filter((br) => br.name.startsWith('meetme-leg:')).length === 3, 15000, 'three callers paired');
    await waitFor(() => recent(callers[0]!, 880) > -40, 5000, 'mixing');
    const participants = (await api(a, 'GET', '/api/v1/conferences/800/participants')).body.participants as {
      id: string;
      channelId: string;
    }[];
    const ids = callers.map((c) => participants.find((p) => p.channelId === c.channelId)!.id);
    return { a, b, callers, ids };
  }

  /**
   * The Asterisk mixer on a fresh double (with a timer): A active with three callers in conference 800's bridge,
   * B standing by, and A recording the bridge in Asterisk.
   */
  async function asteriskMixedRecording(): Promise<{ a: Instance; b: Instance; callers: SimCaller[]; name: string }> {
    await ast.stop();
    ast = await AsteriskDouble.start({ timing: true, speed: 20, users: { 'node-a': 'secret', 'node-b': 'secret' } });
    const launchMixed = async (name: string): Promise<Instance> => {
      const env = { RECORDINGS_DIR: recordingsDir, MIXER: 'asterisk' };
      const instance = await launchInstance(name, { ariUrl: ast.url, redisUrl: redis.url, apiKey: KEY, env });
      instances.push(instance);
      return instance;
    };
    const a = await launchMixed('a');
    await waitFor(() => a.output().includes('lease taken'), 10000, 'a active');
    const b = await launchMixed('b');
    const callers = TONES.map((hz, i) => ast.dial({ exten: '800', callerId: `C${i} <10${i}>`, toneHz: hz }));
    await waitFor(
      () => ast.bridges().find((br) => br.name === 'meetme-conf:800')?.channels.length === 3,
      15000,
      'three callers in the conference bridge',
    );
    const started = await api(a, 'POST', '/api/v1/conferences/800/recording/start');
    expect(started.status).to.equal(201);
    const name = started.body.name as string;
    await waitFor(() => ast.asterisk.live.get(name)?.state === 'recording', 5000, 'Asterisk records the bridge');
    return { a, b, callers, name };
  }

  async function participantsOn(instance: Instance): Promise<{ id: string; channelId: string; talkGain: number; listenGain: number }[]> {
    return (await api(instance, 'GET', '/api/v1/conferences/800/participants')).body.participants as {
      id: string;
      channelId: string;
      talkGain: number;
      listenGain: number;
    }[];
  }

  for (const [signal, what] of [
    ['SIGKILL', 'kill -9'],
    ['SIGTERM', 'a hand-over (SIGTERM)'],
  ] as const)
    it(`${what} mid-recording: the standby starts part 2 within 5 s, the index links both parts, both are valid WAVs, stop ends part 2`, async () => {
      const { a, b, callers, ids } = await conference();
      const started = await api(a, 'POST', '/api/v1/conferences/800/recording/start');
      expect(started.status).to.equal(201);
      const session = started.body.name as string;
      const own = await api(a, 'POST', `/api/v1/conferences/800/participants/${ids[1]}/recording/start`);
      expect(own.status).to.equal(201);
      const ownSession = own.body.name as string;
      await waitFor(
        () => ast.channel(callers[1]!.channelId)?.vars.get('MEETME_RECORDING')?.includes(ownSession) === true,
        5000,
        'both recordings saved on the channel',
      );
      // Mid-second: the killed writer's header lags what it wrote (a second's chunk at most).
      await sleep(2500);
      a.child.kill(signal);
      await a.exited;
      const killed = Date.now();
      let parts: Entry[] = [];
      await waitFor(
        () => {
          void api(b, 'GET', `/api/v1/recordings?session=${session}`).then(
            (r) => (parts = (r.body.recordings as Entry[] | undefined) ?? []),
          );
          return parts.some((p) => p.part === 2);
        },
        8000,
        'part 2 in the standby index',
      );
      const toPart2 = Date.now() - killed;
      process.stdout.write(`      ${what} to part 2 in the new holder's index: ${toPart2} ms\n`);
      expect(toPart2, 'part 2 started after the kill (ms)').to.be.lessThan(5000);
      expect((await api(b, 'GET', '/api/v1/conferences/800')).body.recording).to.equal(`${session}-part2`);
      await sleep(2000);
      // Stop through the new holder's API: it ends part 2, the conference's and the caller's own.
      expect((await api(b, 'POST', '/api/v1/conferences/800/recording/stop')).status).to.equal(204);
      const caller1 = (await participantsOn(b)).find((p) => p.channelId === callers[1]!.channelId)!;
      expect((await api(b, 'POST', `/api/v1/conferences/800/participants/${caller1.id}/recording/stop`)).status).to.equal(204);
      expect((await api(b, 'GET', '/api/v1/conferences/800')).body.recording).to.equal(null);
      let all: Entry[] = [];
      await waitFor(
        () => {
          void api(b, 'GET', '/api/v1/recordings?conference=800').then((r) => (all = (r.body.recordings as Entry[] | undefined) ?? []));
          return all.length === 4 && all.every((e) => e.endedAt !== null && e.sizeBytes !== null);
        },
        5000,
        'four parts ended in the index',
      );
      for (const [name, participant] of [
        [session, null],
        [ownSession, caller1.id],
      ] as const) {
        const mine = all.filter((e) => e.session === name).sort((x, y) => x.part - y.part);
        expect(mine.map((e) => [e.name, e.part])).to.deep.equal([
          [name, 1],
          [`${name}-part2`, 2],
        ]);
        // Part 1 ended where part 2 began (within the takeover), and part 2 is the new participant's.
        expect(Date.parse(mine[1]!.startedAt)).to.be.at.least(Date.parse(mine[0]!.endedAt!) - 1000);
        expect(mine[1]!.participant).to.equal(participant);
        for (const entry of mine) {
          const samples = validWav(entry.path);
          expect(entry.sizeBytes, entry.name).to.equal(44 + samples.length * 2);
          // At least a second of audio in each, and the tone of caller 1 in it (the mix, or their own voice).
          expect(samples.length, entry.name).to.be.at.least(8000);
          expect(goertzelDb(samples.subarray(samples.length - 8000), 880), entry.name).to.be.greaterThan(-40);
        }
      }
      expect(all.filter((e) => e.session === session && e.part === 1)[0]!.participant).to.equal(null);
    });

  it('a paused recording stays paused in part 2 on the new holder, and resume there records again', async () => {
    const { a, b, callers } = await conference();
    const started = await api(a, 'POST', '/api/v1/conferences/800/recording/start');
    expect(started.status).to.equal(201);
    const session = started.body.name as string;
    await sleep(1500);
    expect((await api(a, 'POST', '/api/v1/conferences/800/recording/pause')).status).to.equal(204);
    await waitFor(
      () => callers.every((c) => ast.channel(c.channelId)?.vars.get('MEETME_RECORDING')?.includes('"paused":true') === true),
      5000,
      'the pause saved on every caller channel',
    );
    a.child.kill('SIGKILL');
    await a.exited;
    let shown: Record<string, unknown> = {};
    await waitFor(
      () => {
        void api(b, 'GET', '/api/v1/conferences/800').then((r) => (shown = r.body));
        return shown.recording === `${session}-part2`;
      },
      8000,
      'part 2 on the new holder',
    );
    expect(shown.recordingPaused, 'shown paused').to.equal(true);
    const path = (await api(b, 'GET', `/api/v1/recordings/${session}-part2`)).body.path as string;
    await sleep(1500);
    // Paused: nothing of the 1.5 s since part 2 began is in it.
    expect(readFileSync(path).length - 44, 'bytes recorded while paused').to.be.lessThan(1600);
    expect((await api(b, 'POST', '/api/v1/conferences/800/recording/resume')).status).to.equal(204);
    expect((await api(b, 'GET', '/api/v1/conferences/800')).body.recordingPaused).to.equal(false);
    await sleep(1500);
    expect((await api(b, 'POST', '/api/v1/conferences/800/recording/stop')).status).to.equal(204);
    let entry: Partial<Entry> = {};
    await waitFor(
      () => {
        void api(b, 'GET', `/api/v1/recordings/${session}-part2`).then((r) => (entry = r.body as Partial<Entry>));
        return typeof entry.endedAt === 'string';
      },
      5000,
      'part 2 ended',
    );
    const samples = validWav(path);
    // Resumed for 1.5 s: a second of the mix at least, with caller 1's tone in it.
    expect(samples.length).to.be.at.least(8000);
    expect(goertzelDb(samples.subarray(samples.length - 8000), 880)).to.be.greaterThan(-40);
  });

  it('Asterisk mixer: the bridge recording goes on through the kill, the new holder takes it over (API, index, stop) and starts none', async () => {
    const { a, b, callers, name } = await asteriskMixedRecording();
    const conferenceBridge = () => ast.bridges().filter((br) => br.name === 'meetme-conf:800');
    const bridgeId = conferenceBridge()[0]!.id;
    // Killed before the channels were told (one ARI round trip), the new holder would not know of it.
    await waitFor(
      () => callers.every((c) => ast.channel(c.channelId)?.vars.get('MEETME_RECORDING')?.includes(name) === true),
      5000,
      'the recording saved on every caller channel',
    );
    a.child.kill('SIGKILL');
    await a.exited;
    await waitFor(() => b.output().includes('lease taken'), 5000, 'b active');
    let shown: unknown;
    await waitFor(
      () => {
        void api(b, 'GET', '/api/v1/conferences/800').then((r) => (shown = r.body.recording));
        return shown === name;
      },
      5000,
      'the new holder shows the recording',
    );
    // The same bridge with its callers, the same recording, and no second one.
    expect(conferenceBridge().map((br) => [br.id, br.channels.length])).to.deep.equal([[bridgeId, 3]]);
    expect([...ast.asterisk.live.keys()]).to.deep.equal([name]);
    const index = (await api(b, 'GET', '/api/v1/recordings?conference=800')).body.recordings as (Entry & { node: string })[];
    expect(index.map((e) => [e.name, e.session, e.part, e.endedAt, e.node])).to.deep.equal([[name, name, 1, null, 'asterisk-1']]);
    expect((await api(b, 'POST', '/api/v1/conferences/800/recording/stop')).status).to.equal(204);
    expect(ast.asterisk.live.size).to.equal(0);
    expect(ast.asterisk.stored.has(name)).to.equal(true);
    await waitFor(
      () => {
        void api(b, 'GET', `/api/v1/recordings/${name}`).then((r) => (shown = r.body.endedAt));
        return typeof shown === 'string';
      },
      5000,
      'ended in the index',
    );
    expect(callers.map((c) => c.state)).to.deep.equal(['up', 'up', 'up']);
  });

  it('Asterisk mixer: a paused bridge recording stays paused with the new holder (API and Asterisk), resume there unpauses it', async () => {
    const { a, b, callers, name } = await asteriskMixedRecording();
    expect((await api(a, 'POST', '/api/v1/conferences/800/recording/pause')).status).to.equal(204);
    expect(ast.asterisk.live.get(name)?.state).to.equal('paused');
    await waitFor(
      () => callers.every((c) => ast.channel(c.channelId)?.vars.get('MEETME_RECORDING')?.includes('"paused":true') === true),
      5000,
      'the pause saved on every caller channel',
    );
    a.child.kill('SIGKILL');
    await a.exited;
    let shown: Record<string, unknown> = {};
    await waitFor(
      () => {
        void api(b, 'GET', '/api/v1/conferences/800').then((r) => (shown = r.body));
        return shown.recording === name;
      },
      8000,
      'the new holder shows the recording',
    );
    expect(shown.recordingPaused, 'shown paused').to.equal(true);
    expect(ast.asterisk.live.get(name)?.state, 'Asterisk still paused').to.equal('paused');
    expect((await api(b, 'POST', '/api/v1/conferences/800/recording/resume')).status).to.equal(204);
    expect(ast.asterisk.live.get(name)?.state).to.equal('recording');
    expect((await api(b, 'GET', '/api/v1/conferences/800')).body.recordingPaused).to.equal(false);
  });

  it('music for a caller alone and talk/listen gains are kept by the new holder', async () => {
    const { a, b, callers, ids } = await conference();
    const alone = ast.dial({ exten: '801', args: ['801', 'M'], callerId: 'Solo <200>', toneHz: null });
    // The app mixer plays MOH_DIR's music (a 500 Hz tone here) to a caller alone with `M`.
    await waitFor(() => recent(alone, 500) > -40, 10000, 'music for the caller alone');
    const before = recent(callers[0]!, 880);
    // Caller 1 louder by two steps (6 dB) to everyone; caller 0 hears the mix two steps quieter.
    expect((await api(a, 'PATCH', `/api/v1/conferences/800/participants/${ids[1]}/gain`, { talk: 2 })).status).to.equal(204);
    expect((await api(a, 'PATCH', `/api/v1/conferences/800/participants/${ids[2]}/gain`, { listen: -2 })).status).to.equal(204);
    await sleep(600);
    const louder = recent(callers[0]!, 880);
    const quieter = recent(callers[2]!, 880);
    expect(louder - before, 'talk gain applied').to.be.greaterThan(4);
    a.child.kill('SIGKILL');
    await a.exited;
    await waitFor(() => b.output().includes('lease taken'), 5000, 'b active');
    for (const c of [...callers, alone]) c.clearHeard();
    await waitFor(() => recent(callers[0]!, 880) > -40 && recent(callers[2]!, 880) > -60, 5000, 'audio back');
    await sleep(600);
    const participants = await participantsOn(b);
    const byChannel = (c: SimCaller) => participants.find((p) => p.channelId === c.channelId)!;
    expect([byChannel(callers[1]!).talkGain, byChannel(callers[2]!).listenGain]).to.deep.equal([2, -2]);
    expect(recent(callers[0]!, 880), 'talk gain kept').to.be.closeTo(louder, 1.5);
    expect(recent(callers[2]!, 880), 'listen gain kept').to.be.closeTo(quieter, 1.5);
    // The caller alone in 801 hears the music again from the new holder.
    await waitFor(() => recent(alone, 500) > -40, 5000, 'music back');
  });
});
