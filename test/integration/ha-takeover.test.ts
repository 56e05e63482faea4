import { expect } from 'chai';
import { AsteriskDouble, type SimCaller } from '../double';
import { goertzelDb } from '../support/audio';
import { launchInstance, type Instance, stopInstances } from '../support/haInstance';
import { waitFor } from '../support/logger';
import { RedisServer } from '../support/redisServer';

const KEY = 'ha-test-admin-key-0123456789';
const TONES = [440, 880, 1200] as const;

/** What a caller heard in the last 200 ms, per tone. */
function recent(caller: SimCaller): Record<number, number> {
  const heard = caller.heard();
  const tail = heard.subarray(Math.max(0, heard.length - 1600));
  return Object.fromEntries(TONES.map((hz) => [hz, goertzelDb(tail, hz)]));
}

/** Caller 1 hears caller 2 (880 Hz): the conference mixes. Caller 0 (440 Hz) is muted, so nobody hears it. */
const mixing = (callers: SimCaller[]): boolean => {
  const heard = recent(callers[1]!);
  return heard[1200]! > -40 && callers[2]!.heard().length > 0 && recent(callers[2]!)[880]! > -40;
};

async function api(instance: Instance, method: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${instance.port}${path}`, { method, headers: { authorization: `Bearer ${KEY}` } });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const countOf = (text: string, needle: string): number => text.split(needle).length - 1;

describe('two instances for one Asterisk node, with a real redis-server and the ARI double', function () {
  this.timeout(90000);
  let ast: AsteriskDouble;
  let redis: RedisServer;
  const instances: Instance[] = [];

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
    await stopInstances(instances, this.currentTest?.state === 'failed');
    await ast.stop();
    await redis.stop();
  });

  /** A active with three callers in conference 800, caller 0 muted; B standing by. */
  async function conference(): Promise<{ a: Instance; b: Instance; callers: SimCaller[] }> {
    const a = await launch('a');
    await waitFor(() => a.output().includes('lease taken'), 10000, 'a active');
    const b = await launch('b');
    const callers = TONES.map((hz, i) => ast.dial({ exten: '800', callerId: `C${i} <10${i}>`, toneHz: hz }));
    await waitFor(() => ast.bridges().filter((br) => br.name.startsWith('meetme-leg:')).length === 3, 15000, 'three callers paired');
    const listed = await api(a, 'GET', '/api/v1/conferences/800/participants');
    const participants = listed.body.participants as { id: string; channelId: string }[];
    const first = participants.find((p) => p.channelId === callers[0]!.channelId)!;
    expect((await api(a, 'POST', `/api/v1/conferences/800/participants/${first.id}/mute`)).status).to.equal(204);
    await waitFor(() => mixing(callers) && recent(callers[1]!)[440]! < -50, 5000, 'mixing, caller 0 muted');
    return { a, b, callers };
  }

  /** Nothing leaked: per caller one leg channel and one leg bridge, and no conference bridge left over. */
  function expectNoLeak(callers: SimCaller[]): void {
    expect(callers.map((c) => c.state)).to.deep.equal(['up', 'up', 'up']);
    expect(ast.bridges().filter((br) => br.name.startsWith('meetme-leg:'))).to.have.length(3);
    expect(ast.channels()).to.have.length(6);
  }

  it('kill -9 of the active one: the standby takes the node, callers keep their conference, mute and roles, audio back within 5 s', async () => {
    const { a, b, callers } = await conference();
    a.child.kill('SIGKILL');
    await a.exited;
    const killed = Date.now();
    await waitFor(() => b.output().includes('lease taken'), 5000, 'b active');
    for (const c of callers) c.clearHeard();
    await waitFor(() => mixing(callers), 5000, 'audio back');
    expect(Date.now() - killed, 'audio back after the kill (ms)').to.be.lessThan(5000);
    // Caller 0 is still muted: the others hear 1200 Hz and 880 Hz, never 440 Hz.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(recent(callers[1]!)[440]).to.be.lessThan(-50);
    const listed = await api(b, 'GET', '/api/v1/conferences/800/participants');
    const participants = listed.body.participants as { channelId: string; muted: boolean; role: string }[];
    expect(participants).to.have.length(3);
    expect(participants.find((p) => p.channelId === callers[0]!.channelId)?.muted).to.equal(true);
    expect(participants.every((p) => p.role === 'user')).to.equal(true);
    expectNoLeak(callers);
    const ready = await api(b, 'GET', '/readyz');
    expect(ready.status).to.equal(200);
    expect(ready.body.ha).to.deep.include({ instance: 'b', role: 'active' });
  });

  it('an instance frozen past its lease and resumed stands by: no double mixing, no leaked channel, logged once', async () => {
    const { a, b, callers } = await conference();
    const participants = (await api(a, 'GET', '/api/v1/conferences/800/participants')).body.participants as { id: string }[];
    a.child.kill('SIGSTOP');
    // Queued in a's socket while it is frozen: it would act on it first thing after resuming.
    const lateKick = api(a, 'POST', `/api/v1/conferences/800/participants/${participants[1]!.id}/kick`);
    await waitFor(() => b.output().includes('lease taken'), 8000, 'b active');
    for (const c of callers) c.clearHeard();
    await waitFor(() => mixing(callers), 5000, 'audio back through b');
    const resumed = ast.requests.length;
    a.child.kill('SIGCONT');
    // Whatever a makes of it in its own memory (which it then drops), nothing of it may reach Asterisk.
    await lateKick;
    await waitFor(() => a.output().includes('lease lost'), 5000, 'a noticed');
    expect(a.output()).to.contain('this process was frozen past its lease');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(countOf(a.output(), '"msg":"lease lost (')).to.equal(1);
    expect(
      ast.requests.slice(resumed).filter((r) => r.user === 'node-a'),
      'requests a sent Asterisk after resuming',
    ).to.deep.equal([]);
    // b still mixes, alone: a sent Asterisk nothing after resuming (no REST, so no bridge or channel of its own).
    expect(mixing(callers)).to.equal(true);
    expect(recent(callers[1]!)[440]).to.be.lessThan(-50);
    expectNoLeak(callers);
    expect(b.output()).not.to.contain('lease lost');
    const [readyA, readyB] = await Promise.all([api(a, 'GET', '/readyz'), api(b, 'GET', '/readyz')]);
    expect([readyA.status, readyB.status]).to.deep.equal([503, 200]);
    expect(readyA.body.ha).to.deep.include({ instance: 'a', role: 'standby' });
    expect((readyA.body.ha as { nodes: { active: string }[] }).nodes[0]?.active).to.equal('b');
  });

  it('Redis killed and restarted empty: one instance stays (or becomes) active and the conference goes on', async () => {
    const { a, b, callers } = await conference();
    await redis.kill();
    await redis.resume();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    for (const c of callers) c.clearHeard();
    await waitFor(() => mixing(callers), 5000, 'still mixing');
    const [readyA, readyB] = await Promise.all([api(a, 'GET', '/readyz'), api(b, 'GET', '/readyz')]);
    expect([readyA.status, readyB.status].sort()).to.deep.equal([200, 503]);
    expectNoLeak(callers);
  });
});
