import { expect } from 'chai';
import { AsteriskDouble, type SimCaller } from '../double';
import { goertzelDb } from '../support/audio';
import { haApi } from '../support/haClient';
import { launchInstance, type Instance, stopInstances } from '../support/haInstance';
import { waitFor } from '../support/logger';
import { RedisServer } from '../support/redisServer';

const KEY = 'ha-test-admin-key-0123456789';
const TONES = [440, 880, 1200] as const;
const OUTAGE_MS = 30_000;

/** What a caller heard in the last 200 ms at `hz`. */
function recentDb(caller: SimCaller, hz: number): number {
  const heard = caller.heard();
  return goertzelDb(heard.subarray(Math.max(0, heard.length - 1600)), hz);
}

/** Callers 1 and 2 hear each other; caller 0 (440 Hz) is muted. */
const mixing = (callers: SimCaller[]): boolean => recentDb(callers[1]!, 1200) > -40 && recentDb(callers[2]!, 880) > -40;
/** Nobody hears anybody. */
const silent = (callers: SimCaller[]): boolean =>
  callers.every((c) => TONES.every((hz) => c.heard().length === 0 || recentDb(c, hz) < -50));

const api = (instance: Instance, method: string, path: string): ReturnType<typeof haApi> => haApi(instance, KEY, method, path);
const countOf = (text: string, needle: string): number => text.split(needle).length - 1;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('Redis unreachable for 30 s (redis-server frozen, its connections left open), two instances for one node', function () {
  this.timeout(120000);
  let ast: AsteriskDouble;
  let redis: RedisServer;
  const instances: Instance[] = [];

  beforeEach(async () => {
    ast = await AsteriskDouble.start({ timing: false, speed: 20, users: { 'node-a': 'secret', 'node-b': 'secret' } });
    redis = await RedisServer.start();
  });

  afterEach(async function () {
    await stopInstances(instances, this.currentTest?.state === 'failed');
    await ast.stop();
    await redis.stop();
  });

  it('no conference lost, nobody mixes while it is out, no channel leaked or hung up, each case logged once, back when Redis is', async () => {
    const a = await launchInstance('a', { ariUrl: ast.url, redisUrl: redis.url, apiKey: KEY });
    instances.push(a);
    await waitFor(() => a.output().includes('lease taken'), 10000, 'a active');
    const b = await launchInstance('b', { ariUrl: ast.url, redisUrl: redis.url, apiKey: KEY });
    instances.push(b);
    const callers = TONES.map((hz, i) => ast.dial({ exten: '800', callerId: `C${i} <10${i}>`, toneHz: hz }));
    await waitFor(() => ast.bridges().filter((br) => br.name.startsWith('meetme-leg:')).length === 3, 15000, 'three callers paired');
    const listed = (await api(a, 'GET', '/api/v1/conferences/800/participants')).body.participants as { id: string; channelId: string }[];
    const muted = listed.find((p) => p.channelId === callers[0]!.channelId)!;
    expect((await api(a, 'POST', `/api/v1/conferences/800/participants/${muted.id}/mute`)).status).to.equal(204);
    await waitFor(() => mixing(callers) && recentDb(callers[1]!, 440) < -50, 5000, 'mixing, caller 0 muted');
    redis.freeze();
    const frozen = Date.now();
    // The holder's fence closes within the lease ttl (2 s): from then on nothing is mixed and nothing is asked of Asterisk.
    await waitFor(() => a.output().includes('lease lost ('), 5000, 'a stops acting');
    const fenced = Date.now() - frozen;
    await sleep(500);
    const quiet = ast.requests.length;
    for (const c of callers) c.clearHeard();
    let mixedDuringOutage = false;
    while (Date.now() - frozen < OUTAGE_MS) {
      await sleep(1000);
      if (!silent(callers)) mixedDuringOutage = true;
    }
    expect(mixedDuringOutage, 'anything mixed while Redis was out').to.equal(false);
    expect(
      ast.requests.slice(quiet).map((r) => `${r.user} ${r.method} ${r.path}`),
      'requests to Asterisk while Redis was out',
    ).to.deep.equal([]);
    expect(
      callers.map((c) => c.state),
      'callers still up',
    ).to.deep.equal(['up', 'up', 'up']);
    // Both stand by: /readyz answers 503 on each, so a load balancer sends nothing.
    const during = await Promise.all([api(a, 'GET', '/readyz'), api(b, 'GET', '/readyz')]);
    expect(during.map((r) => r.status)).to.deep.equal([503, 503]);

    redis.thaw();
    const thawed = Date.now();
    for (const c of callers) c.clearHeard();
    await waitFor(() => mixing(callers), 10000, 'audio back once Redis is');
    const back = Date.now() - thawed;
    process.stdout.write(`      fence closed ${fenced} ms after Redis froze; audio back ${back} ms after it resumed\n`);
    await sleep(2500);
    // One instance mixes (never both), with the conference as it was: the same callers, caller 0 still muted.
    const ready = await Promise.all([api(a, 'GET', '/readyz'), api(b, 'GET', '/readyz')]);
    expect(ready.map((r) => r.status).sort()).to.deep.equal([200, 503]);
    const holder = ready[0].status === 200 ? a : b;
    const after = (await api(holder, 'GET', '/api/v1/conferences/800/participants')).body.participants as {
      channelId: string;
      muted: boolean;
    }[];
    expect(after.map((p) => p.channelId).sort()).to.deep.equal(callers.map((c) => c.channelId).sort());
    expect(after.find((p) => p.channelId === callers[0]!.channelId)?.muted).to.equal(true);
    expect(recentDb(callers[1]!, 440)).to.be.lessThan(-50);
    // No leaked channel: the three callers and one leg each (rebuilt by the adopting instance), three leg bridges.
    expect(ast.channels()).to.have.length(6);
    expect(ast.bridges().filter((br) => br.name.startsWith('meetme-leg:'))).to.have.length(3);
    expect(callers.map((c) => c.state)).to.deep.equal(['up', 'up', 'up']);
    // Each case logged once per instance: the outage, the lease given up (the holder only), Redis back.
    for (const instance of [a, b]) {
      expect(countOf(instance.output(), 'Redis unreachable: the lease cannot be renewed or taken'), instance.name).to.equal(1);
      expect(countOf(instance.output(), '"msg":"Redis reachable again"'), instance.name).to.equal(1);
    }
    expect(countOf(a.output(), 'lease lost (Redis could not confirm the lease in time)')).to.equal(1);
    expect(countOf(b.output(), 'lease lost (')).to.equal(0);
  });
});
