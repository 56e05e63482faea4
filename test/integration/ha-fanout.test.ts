import { expect } from 'chai';
import { AsteriskDouble, type SimCaller } from '../double';
import { goertzelDb } from '../support/audio';
import { haApi, Stream } from '../support/haClient';
import { launchInstance, type Instance, stopInstances } from '../support/haInstance';
import { waitFor, waitForAsync } from '../support/logger';
import { RedisServer } from '../support/redisServer';

const KEY = 'ha-test-admin-key-0123456789';

function recentDb(caller: SimCaller, hz: number): number {
  const heard = caller.heard();
  return goertzelDb(heard.subarray(Math.max(0, heard.length - 1600)), hz);
}

const api = (instance: Instance, method: string, path: string): ReturnType<typeof haApi> => haApi(instance, KEY, method, path);

describe('any instance answers the API: events over Redis pub/sub and control forwarded to the holder', function () {
  this.timeout(90000);
  let ast: AsteriskDouble;
  let redis: RedisServer;
  const instances: Instance[] = [];
  const streams: Stream[] = [];
  /** Whatever else a test started, stopped after it. */
  const after: (() => Promise<void>)[] = [];

  async function launch(name: string): Promise<Instance> {
    const instance = await launchInstance(name, { ariUrl: ast.url, redisUrl: redis.url, apiKey: KEY });
    instances.push(instance);
    return instance;
  }

  beforeEach(async () => {
    ast = await AsteriskDouble.start({ timing: false, speed: 20, users: { 'node-a': 'secret', 'node-b': 'secret' } });
    redis = await RedisServer.start();
  });

  afterEach(async function () {
    for (const stream of streams.splice(0)) stream.close();
    await stopInstances(instances, this.currentTest?.state === 'failed');
    for (const stop of after.splice(0)) await stop();
    await ast.stop();
    await redis.stop();
  });

  /** A active with two callers in conference 800 (440 Hz and 880 Hz); B standing by, its stream open. */
  async function conference(): Promise<{ a: Instance; b: Instance; callers: SimCaller[]; onB: Stream }> {
    const a = await launch('a');
    await waitFor(() => a.output().includes('lease taken'), 10000, 'a active');
    const b = await launch('b');
    const onB = await Stream.open(b, KEY);
    streams.push(onB);
    const callers = [440, 880].map((hz, i) => ast.dial({ exten: '800', callerId: `C${i} <10${i}>`, toneHz: hz }));
    await waitFor(() => onB.of('800').filter((m) => m.type === 'participant.joined').length === 2, 15000, "both joins on b's stream");
    await waitFor(() => recentDb(callers[1]!, 440) > -40, 5000, 'mixing through a');
    return { a, b, callers, onB };
  }

  const numbers = (stream: Stream): number[] => stream.of('800').map((m) => m.conferenceSeq as number);

  it("an event of a conference held by A arrives on B's stream, and a mute sent to B reaches Asterisk through A", async () => {
    const { a, b, callers, onB } = await conference();
    expect(onB.messages[0]?.type).to.equal('snapshot');
    const seqs = numbers(onB);
    expect(seqs, 'numbers of the events on b').to.deep.equal(seqs.map((_, i) => seqs[0]! + i));
    // B holds nothing, yet lists A's conference and answers for it with A's answer.
    const listed = await api(b, 'GET', '/api/v1/conferences');
    expect((listed.body.conferences as { number: string }[]).map((c) => c.number)).to.deep.equal(['800']);
    const participants = (await api(b, 'GET', '/api/v1/conferences/800/participants')).body.participants as {
      id: string;
      channelId: string;
    }[];
    expect(participants).to.have.length(2);
    const first = participants.find((p) => p.channelId === callers[0]!.channelId)!;
    const before = ast.requests.length;
    expect((await api(b, 'POST', `/api/v1/conferences/800/participants/${first.id}/mute`)).status).to.equal(204);
    // A acted on it: it records the mute on the caller's channel in Asterisk, and the others no longer hear the caller.
    const sent = (): string[] =>
      ast.requests
        .slice(before)
        .filter((r) => r.user === 'node-a')
        .map((r) => `${r.method} ${r.path}`);
    await waitFor(
      () => sent().includes(`POST /channels/${callers[0]!.channelId}/variable`),
      3000,
      "the mute in the caller's channel, by a",
    );
    expect(ast.requests.slice(before).filter((r) => r.user === 'node-b')).to.deep.equal([]);
    await waitFor(() => recentDb(callers[1]!, 440) < -50, 3000, 'caller 0 muted');
    await waitFor(() => onB.of('800').some((m) => m.type === 'participant.muted' && m.participantId === first.id), 3000, 'muted on b');
    // The key sent as X-API-Key (as curl users do) reaches A as well: an unmute through B.
    const unmute = await fetch(`http://127.0.0.1:${b.port}/api/v1/conferences/800/participants/${first.id}/unmute`, {
      method: 'POST',
      headers: { 'x-api-key': KEY },
    });
    expect(unmute.status, 'unmute through b with X-API-Key').to.equal(204);
    await waitFor(() => recentDb(callers[1]!, 440) > -40, 3000, 'caller 0 heard again');
    // An unknown participant: A's own 404, passed on as it is.
    const missing = await api(b, 'POST', '/api/v1/conferences/800/participants/nobody/mute');
    expect([missing.status, (missing.body.error as { code: string }).code]).to.deep.equal([404, 'participant_not_found']);
    // A's stream numbers the same events alike.
    const onA = await Stream.open(a, KEY);
    streams.push(onA);
    await waitFor(() => onA.messages.length > 0, 3000, 'snapshot on a');
    const snapshotOf = (s: Stream) => s.messages[0]?.conferences?.find((c) => c.number === '800')?.conferenceSeq;
    expect(snapshotOf(onA)).to.equal(numbers(onB).at(-1));
  });

  it('kill -9 of A: a forward to it answers 503 at once, and numbering on B continues without a gap after the takeover', async () => {
    const { a, b, onB } = await conference();
    const participants = (await api(b, 'GET', '/api/v1/conferences/800/participants')).body.participants as { id: string }[];
    const last = numbers(onB).at(-1)!;
    a.child.kill('SIGKILL');
    await a.exited;
    const refused = await api(b, 'POST', `/api/v1/conferences/800/participants/${participants[0]!.id}/mute`);
    expect(refused.status).to.equal(503);
    expect((refused.body.error as { code: string }).code).to.equal('holder_unreachable');
    expect(refused.ms, 'answer of a forward to a dead holder (ms)').to.be.lessThan(1000);
    await waitFor(() => b.output().includes('lease taken'), 5000, 'b active');
    await waitFor(
      () => onB.of('800').filter((m) => m.conferenceSeq! > last && m.type === 'participant.joined').length === 2,
      5000,
      'adopted on b',
    );
    const after = numbers(onB).filter((n) => n > last);
    expect(after[0], 'first number after the takeover').to.equal(last + 1);
    expect(after).to.deep.equal(after.map((_, i) => last + 1 + i));
    // B holds it now: control is answered there.
    const listed = (await api(b, 'GET', '/api/v1/conferences/800/participants')).body.participants as { id: string }[];
    expect((await api(b, 'POST', `/api/v1/conferences/800/participants/${listed[0]!.id}/mute`)).status).to.equal(204);
  });

  it('a forward to a frozen holder answers 503 within the lease ttl, never hangs', async () => {
    const { a, b } = await conference();
    const participants = (await api(b, 'GET', '/api/v1/conferences/800/participants')).body.participants as { id: string }[];
    a.child.kill('SIGSTOP');
    const refused = await api(b, 'POST', `/api/v1/conferences/800/participants/${participants[0]!.id}/kick`);
    expect(refused.status).to.equal(503);
    expect((refused.body.error as { code: string }).code).to.equal('holder_unreachable');
    expect(refused.ms, 'answer of a forward to a frozen holder (ms)').to.be.within(1500, 3000);
  });
  it('Redis restarted empty: B lists the conference as it is now within a ttl, with no new event, and its numbering goes on', async () => {
    // B drives a node of its own: it cannot take A's node when Redis comes back empty, so A stays the holder.
    const a = await launch('a');
    await waitFor(() => a.output().includes('lease taken'), 10000, 'a active');
    const other = await AsteriskDouble.start({ timing: false, speed: 20, users: { 'node-b': 'secret' } });
    after.push(() => other.stop());
    const b = await launchInstance('b', { ariUrl: other.url, redisUrl: redis.url, apiKey: KEY, env: { ARI_NODE_ID: 'other' } });
    instances.push(b);
    const onB = await Stream.open(b, KEY);
    streams.push(onB);
    for (const [i, hz] of [440, 880].entries()) ast.dial({ exten: '800', callerId: `C${i} <10${i}>`, toneHz: hz });
    await waitFor(() => onB.of('800').filter((m) => m.type === 'participant.joined').length === 2, 15000, "both joins on b's stream");
    type Listed = { number: string; participants: { id: string; muted: boolean }[] };
    const listedOnB = async (): Promise<Listed | undefined> =>
      ((await api(b, 'GET', '/api/v1/conferences')).body.conferences as Listed[]).find((c) => c.number === '800');
    const [first, second] = (await listedOnB())!.participants;
    // The joins' prompts and talk detection settle (their events arrive), then the last number B saw.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const last = numbers(onB).at(-1)!;
    // A mute while Redis is down (A still within its fence): its event cannot be published, so B never hears of it.
    await redis.kill();
    expect((await api(a, 'POST', `/api/v1/conferences/800/participants/${first!.id}/mute`)).status).to.equal(204);
    await redis.resume();
    const since = Date.now();
    await waitForAsync(
      async () => (await listedOnB())?.participants.find((p) => p.id === first!.id)?.muted === true,
      3000,
      'the mute listed on b',
    );
    expect(Date.now() - since, 'state back on b after the restart (ms)').to.be.lessThan(3000);
    expect(
      onB.of('800').filter((m) => m.type === 'participant.muted'),
      'no event on b meanwhile',
    ).to.deep.equal([]);
    // The state written back took a number of its own (a new client's snapshot has it); the next event is numbered
    // above it, and the number skipped on B's stream shows the lost event.
    const onB2 = await Stream.open(b, KEY);
    streams.push(onB2);
    await waitFor(() => onB2.messages.length > 0, 3000, 'snapshot on b');
    const restored = onB2.messages[0]!.conferences!.find((c) => c.number === '800')!.conferenceSeq;
    expect(restored, 'number of the state written back').to.be.greaterThan(last);
    expect((await api(b, 'POST', `/api/v1/conferences/800/participants/${second!.id}/mute`)).status).to.equal(204);
    await waitFor(() => onB.of('800').some((m) => m.type === 'participant.muted'), 3000, 'the next mute on b');
    const later = numbers(onB).slice(numbers(onB).indexOf(last) + 1);
    expect(later[0], 'number of the first event after the restart').to.be.greaterThan(last + 1);
    expect(
      later.every((n) => n > restored),
      'every later number above the state written back',
    ).to.equal(true);
  });
});
