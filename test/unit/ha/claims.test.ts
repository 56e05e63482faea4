import { expect } from 'chai';
import type { Redis } from 'ioredis';
import type { ClaimAnswer } from '../../../src/app/claims';
import { ConferenceClaims } from '../../../src/ha/ConferenceClaims';
import { NodeLease } from '../../../src/ha/NodeLease';
import { connectRedis } from '../../../src/ha/redis';
import { silentLogger } from '../../../src/lib/logger';
import { waitFor, waitForAsync } from '../../support/logger';
import { RedisServer } from '../../support/redisServer';

const TIMINGS = { ttlMs: 2000, renewMs: 400, pollMs: 200, marginMs: 100 };

/** One instance: its node leases and its claims, the conferences it runs listed in `live`. */
interface Side {
  leases: NodeLease[];
  claims: ConferenceClaims;
  live: string[];
  redis: Redis;
}

describe('ConferenceClaims: one holder per conference in a real redis-server, lapsing with the holder lease', function () {
  this.timeout(40000);
  let server: RedisServer;
  const clients: Redis[] = [];
  const sides: Side[] = [];

  function side(instance: string, nodes: string[]): Side {
    const redis = connectRedis(server.url, 200);
    clients.push(redis);
    const leases = nodes.map((node) => new NodeLease(redis, node, instance, silentLogger(), TIMINGS));
    const live: string[] = [];
    const claims = new ConferenceClaims({
      redis,
      instance,
      anchor: () => {
        const held = leases.filter((l) => l.held).sort((x, y) => y.fence.until - x.fence.until)[0];
        return held ? { node: held.node, token: held.currentToken!, redirectUri: `sip:{number}@${held.node}` } : undefined;
      },
      live: () => live,
      ttlMs: TIMINGS.ttlMs,
      logger: silentLogger(),
    });
    const s = { leases, claims, live, redis };
    sides.push(s);
    for (const l of leases) l.start();
    claims.start();
    return s;
  }

  beforeEach(async () => {
    server = await RedisServer.start();
  });
  afterEach(async () => {
    for (const s of sides.splice(0)) {
      s.claims.stop();
      for (const l of s.leases) await l.stop();
    }
    for (const c of clients.splice(0)) c.disconnect();
    await server.stop();
  });

  it('is taken once; another instance is told the holder and where to send callers; it lapses with the lease it is anchored on', async () => {
    const a = side('a', ['n1']);
    await waitFor(() => a.leases[0]!.held, 3000, 'a holds n1');
    const b = side('b', ['n2']);
    await waitFor(() => b.leases[0]!.held, 3000, 'b holds n2');
    const [first, second] = await Promise.all([a.claims.claim('800'), b.claims.claim('800')]);
    const answers: ClaimAnswer[] = [first, second];
    expect(answers.filter((x) => x.held)).to.have.length(1);
    const [holder, other] = first.held ? [a, b] : [b, a];
    holder.live.push('800');
    expect(await other.claims.claim('800')).to.deep.equal(
      first.held
        ? { held: false, holder: 'a', redirectUri: 'sip:{number}@n1' }
        : { held: false, holder: 'b', redirectUri: 'sip:{number}@n2' },
    );
    // The holder dies: its connection goes, nothing is released, its lease simply expires.
    holder.redis.disconnect();
    await waitForAsync(async () => (await other.claims.claim('800')).held, TIMINGS.ttlMs * 3, 'the claim lapsed with the lease');
  });

  it('a conference that ended is let go at once, and the next caller anywhere takes it', async () => {
    const a = side('a', ['n1']);
    const b = side('b', ['n2']);
    await waitFor(() => a.leases[0]!.held && b.leases[0]!.held, 3000, 'both active');
    expect((await a.claims.claim('801')).held).to.equal(true);
    expect((await b.claims.claim('801')).held).to.equal(false);
    a.claims.release('801');
    await waitForAsync(async () => (await b.claims.claim('801')).held, 1000, 'b takes it');
  });

  it('Redis restarted empty: the holder writes its claim back before any other instance may take the conference', async () => {
    const a = side('a', ['n1']);
    const b = side('b', ['n2']);
    await waitFor(() => a.leases[0]!.held && b.leases[0]!.held, 3000, 'both active');
    expect((await a.claims.claim('802')).held).to.equal(true);
    a.live.push('802');
    await server.kill();
    await server.resume();
    // B asks at once, before A has renewed anything: the claim is gone, but B must wait, and then find A's.
    await waitFor(() => clients[1]!.status === 'ready', 3000, 'b reconnected');
    const answer = await b.claims.claim('802');
    expect(answer).to.deep.include({ held: false, holder: 'a' });
  });
});
