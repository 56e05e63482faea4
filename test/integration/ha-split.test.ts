import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

interface Listed {
  number: string;
  participants: { channelId: string; nodeId: string }[];
}

/**
 * Two Asterisk nodes (two doubles), each driven by another instance: B drives n2 only, A drives n1 and stands by
 * for n2. One conference number reached on both nodes must have one holder.
 */
describe('one holder per conference across instances: callers of one number on nodes driven by different instances', function () {
  this.timeout(90000);
  const asts = new Map<string, AsteriskDouble>();
  let redis: RedisServer;
  const instances: Instance[] = [];
  const streams: Stream[] = [];
  /** Each redirect a double made, as `<from node> -> <target>`. */
  const redirects: string[] = [];

  function configFile(name: string, nodes: string[], redirectUris: boolean): string {
    const file = join(mkdtempSync(join(tmpdir(), 'ha-split-')), 'config.json');
    const list = nodes.map((id) => ({
      id,
      url: asts.get(id)!.url,
      username: `node-${name}`,
      password: 'secret',
      ...(redirectUris ? { redirectUri: `sip:{number}@${id}` } : {}),
    }));
    writeFileSync(file, JSON.stringify({ nodes: list }));
    return file;
  }

  async function launch(name: string, nodes: string[], redirectUris = true): Promise<Instance> {
    const instance = await launchInstance(name, {
      ariUrl: asts.get(nodes[0]!)!.url,
      redisUrl: redis.url,
      apiKey: KEY,
      env: { ARI_MEETME_CONFIG: configFile(name, nodes, redirectUris) },
    });
    instances.push(instance);
    return instance;
  }

  beforeEach(async () => {
    for (const id of ['n1', 'n2']) {
      const ast = await AsteriskDouble.start({ timing: false, speed: 20, users: { 'node-a': 'secret', 'node-b': 'secret' } });
      asts.set(id, ast);
      // The SIP front's part: a caller redirected to sip:<number>@<node> is dialled on that node.
      ast.onRedirect((channel, target) => {
        redirects.push(`${id} -> ${target}`);
        const match = /^sip:([^@]+)@(n\d)$/.exec(target);
        const tone = Number(channel.caller.number);
        if (match) asts.get(match[2]!)!.dial({ exten: match[1]!, callerId: `Moved <${channel.caller.number}>`, toneHz: tone });
      });
    }
    redis = await RedisServer.start();
  });

  afterEach(async function () {
    for (const stream of streams.splice(0)) stream.close();
    await stopInstances(instances, this.currentTest?.state === 'failed');
    for (const ast of asts.values()) await ast.stop();
    asts.clear();
    redirects.splice(0);
    await redis.stop();
  });

  /** B active for n2, A active for n1 (and, by default, standing by for n2), a stream open on each. */
  async function twoInstances(redirectUris = true, aNodes = ['n1', 'n2']): Promise<{ a: Instance; b: Instance; onA: Stream; onB: Stream }> {
    const b = await launch('b', ['n2'], redirectUris);
    await waitFor(() => b.output().includes('lease taken'), 10000, 'b active for n2');
    const a = await launch('a', aNodes, redirectUris);
    await waitFor(() => a.output().includes('lease taken'), 10000, 'a active for n1');
    const onA = await Stream.open(a, KEY);
    const onB = await Stream.open(b, KEY);
    streams.push(onA, onB);
    return { a, b, onA, onB };
  }

  const conferences = async (instance: Instance): Promise<Listed[]> =>
    (await api(instance, 'GET', '/api/v1/conferences')).body.conferences as Listed[];

  /** The numbers of a conference's events on a stream: consecutive, each once. */
  function expectConsecutive(stream: Stream, number: string): number[] {
    const seqs = stream.of(number).map((m) => m.conferenceSeq!);
    expect(seqs, 'conferenceSeq on the stream').to.deep.equal(seqs.map((_, i) => seqs[0]! + i));
    return seqs;
  }

  it('a caller on the other instance is moved to the holder: one conference, one state, one numbering; the holder dies and the standby takes it whole', async () => {
    const { a, b, onA, onB } = await twoInstances();
    const first = asts.get('n2')!.dial({ exten: '800', callerId: 'First <440>', toneHz: 440 });
    await waitFor(() => onA.of('800').some((m) => m.type === 'participant.joined'), 15000, 'the first caller in, on b');
    // A drives n1; the conference is B's: the caller is redirected to n2 before anything is played to them.
    const second = asts.get('n1')!.dial({ exten: '800', callerId: 'Second <880>', toneHz: 880 });
    await waitFor(() => onA.of('800').filter((m) => m.type === 'participant.joined').length === 2, 15000, 'the second caller in');
    expect(redirects).to.deep.equal(['n1 -> sip:800@n2']);
    expect(second.state).to.equal('gone');
    expect(second.playbacks(), 'nothing played on n1').to.deep.equal([]);
    expect(a.output()).to.contain('caller sent to the node that holds their conference');
    // One conference, on B, with both callers on n2; A runs nothing, lists B's and answers for it with B's state.
    for (const instance of [a, b]) {
      const listed = await conferences(instance);
      expect(listed.map((c) => c.number)).to.deep.equal(['800']);
      expect(listed[0]!.participants.map((p) => p.nodeId)).to.deep.equal(['n2', 'n2']);
    }
    expect(asts.get('n1')!.bridges(), 'no half-conference on n1').to.deep.equal([]);
    expect(asts.get('n1')!.channels()).to.deep.equal([]);
    const moved = asts
      .get('n2')!
      .channels()
      .find((c) => c.caller.name === 'Moved');
    expect(moved, 'the moved caller arrived on n2').to.not.equal(undefined);
    await waitFor(() => recentDb(first, 880) > -40, 5000, 'the first caller hears the moved one');
    // Both streams: the same numbers, consecutive.
    const seqsA = expectConsecutive(onA, '800');
    expect(expectConsecutive(onB, '800')).to.deep.equal(seqsA);

    // B dies: A takes n2, adopts both callers and the claim, and the numbering goes on.
    const last = seqsA.at(-1)!;
    b.child.kill('SIGKILL');
    await b.exited;
    await waitFor(
      () => onA.of('800').filter((m) => m.conferenceSeq! > last && m.type === 'participant.joined').length === 2,
      8000,
      'adopted on a',
    );
    expect(onA.of('800').find((m) => m.conferenceSeq! > last)?.conferenceSeq, 'first number after the takeover').to.equal(last + 1);
    first.clearHeard();
    await waitFor(() => recentDb(first, 880) > -40, 5000, 'audio back through a');
    // A holds it now: a new caller on n1 joins here, without a redirect.
    asts.get('n1')!.dial({ exten: '800', callerId: 'Third <1200>', toneHz: 1200 });
    await waitForAsync(async () => (await conferences(a))[0]?.participants.length === 3, 8000, 'the third caller in, on a');
    expect(redirects).to.have.length(1);
    expect((await conferences(a))[0]!.participants.map((p) => p.nodeId).sort()).to.deep.equal(['n1', 'n2', 'n2']);
    expectConsecutive(onA, '800');
  });

  it('two first callers on both instances at once: the conference opens once, the other caller is moved to it', async () => {
    const { a, b } = await twoInstances();
    asts.get('n1')!.dial({ exten: '801', callerId: 'One <440>', toneHz: 440 });
    asts.get('n2')!.dial({ exten: '801', callerId: 'Two <880>', toneHz: 880 });
    await waitForAsync(async () => (await conferences(a))[0]?.participants.length === 2, 15000, 'both in one conference');
    expect(redirects).to.have.length(1);
    const listedA = await conferences(a);
    const listedB = await conferences(b);
    // The same conference on both (its participants' talking flags may move between the two reads).
    const shape = (listed: Listed[]): unknown => listed.map((c) => [c.number, c.participants.map((p) => [p.channelId, p.nodeId])]);
    expect(shape(listedA)).to.deep.equal(shape(listedB));
    const home = listedA[0]!.participants[0]!.nodeId;
    expect(listedA[0]!.participants.map((p) => p.nodeId)).to.deep.equal([home, home]);
    expect(asts.get(home === 'n1' ? 'n2' : 'n1')!.bridges(), 'no half-conference').to.deep.equal([]);
  });

  it('a caller who cannot be moved to the holder (no redirectUri) hears tt-allbusy; the conference stays one', async () => {
    const { a } = await twoInstances(false);
    asts.get('n2')!.dial({ exten: '800', callerId: 'First <440>', toneHz: 440 });
    await waitForAsync(async () => (await conferences(a))[0]?.participants.length === 1, 15000, 'the first caller in, on b');
    const late = asts.get('n1')!.dial({ exten: '800', callerId: 'Late <880>', toneHz: 880 });
    await waitFor(() => late.state === 'gone', 8000, 'the late caller hung up');
    expect(late.playbacks()).to.deep.equal(['sound:tt-allbusy']);
    expect((await conferences(a))[0]!.participants.map((p) => p.nodeId)).to.deep.equal(['n2']);
    expect(asts.get('n1')!.bridges()).to.deep.equal([]);
    expect(asts.get('n1')!.channels()).to.deep.equal([]);
  });

  it('the holder dies with no standby for its node: the conference ends on the other streams, once, with why', async () => {
    const { a, b, onA } = await twoInstances(true, ['n1']);
    asts.get('n2')!.dial({ exten: '800', callerId: 'First <440>', toneHz: 440 });
    await waitFor(() => onA.of('800').some((m) => m.type === 'participant.joined'), 15000, 'the caller in, on b');
    const last = onA.of('800').at(-1)!.conferenceSeq!;
    b.child.kill('SIGKILL');
    await b.exited;
    const killed = Date.now();
    await waitFor(() => onA.of('800').some((m) => m.type === 'conference.ended'), 10000, 'conference.ended on a');
    process.stdout.write(`      conference.ended ${Date.now() - killed} ms after the holder died\n`);
    const ended = onA.of('800').filter((m) => m.type === 'conference.ended');
    expect(ended).to.have.length(1);
    expect(ended[0]).to.deep.include({ conferenceSeq: last + 1, reason: 'instance b is gone and no instance took the conference over' });
    expect(await conferences(a)).to.deep.equal([]);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(onA.of('800').filter((m) => m.type === 'conference.ended')).to.have.length(1);
  });
});
