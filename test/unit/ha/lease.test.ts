import { expect } from 'chai';
import type { Redis } from 'ioredis';
import { NodeLease, type LossReason } from '../../../src/ha/NodeLease';
import { connectRedis } from '../../../src/ha/redis';
import { silentLogger } from '../../../src/lib/logger';
import { waitFor } from '../../support/logger';
import { RedisServer } from '../../support/redisServer';

// Generous against a loaded machine: a renewal starved past the ttl rightly loses the lease (reason 'expired').
const TIMINGS = { ttlMs: 3000, renewMs: 300, pollMs: 150, marginMs: 100 };

describe('NodeLease: one holder per node in a real redis-server, fenced by token and local deadline', function () {
  this.timeout(40000);
  let server: RedisServer;
  const clients: Redis[] = [];
  const leases: NodeLease[] = [];
  const lease = (instance: string): NodeLease => {
    const redis = connectRedis(server.url, 100);
    clients.push(redis);
    const l = new NodeLease(redis, 'ast-1', instance, silentLogger(), TIMINGS);
    leases.push(l);
    return l;
  };

  beforeEach(async () => {
    server = await RedisServer.start();
  });
  afterEach(async () => {
    for (const l of leases.splice(0)) await l.stop();
    for (const c of clients.splice(0)) c.disconnect();
    await server.stop();
  });

  it('gives the node to one instance; released, the other takes it with a higher token', async () => {
    const [a, b] = [lease('a'), lease('b')];
    a.start();
    await waitFor(() => a.held, 3000, 'a holds');
    b.start();
    await waitFor(() => b.holder === 'a', 3000, 'b sees a');
    await new Promise((resolve) => setTimeout(resolve, TIMINGS.ttlMs * 2));
    expect([a.held, b.held], 'a renews; b never takes it').to.deep.equal([true, false]);
    const first = a.currentToken!;
    await a.stop();
    expect(() => a.fence.guard()).to.throw(/no current lease/);
    await waitFor(() => b.held, 3000, 'b holds');
    expect(b.currentToken).to.be.greaterThan(first);
  });

  it('closes the fence within the ttl when Redis is gone, and takes the node again with a higher token once it is back empty', async () => {
    const a = lease('a');
    const lost: LossReason[] = [];
    a.events.on('lost', (reason) => lost.push(reason));
    a.start();
    await waitFor(() => a.held, 3000, 'a holds');
    const first = a.currentToken!;
    a.fence.guard();
    await server.kill();
    const killed = Date.now();
    await waitFor(() => !a.fence.open, TIMINGS.ttlMs, 'fence closed within the ttl');
    expect(() => a.fence.guard()).to.throw(/no current lease/);
    // The fence is a deadline: it closed without any code of ours running; the loss is reported at the next renewal.
    expect(Date.now() - killed).to.be.lessThan(TIMINGS.ttlMs);
    await waitFor(() => lost.length > 0, TIMINGS.ttlMs * 2, 'lost reported');
    expect(lost).to.deep.equal(['redis_unreachable']);
    await server.resume();
    await waitFor(() => a.held, 5000, 'a holds again');
    expect(a.currentToken).to.be.greaterThan(first);
    expect(lost).to.have.length(1);
  });

  it('a holder whose lease went to another instance learns it at its next renewal and stops', async () => {
    const a = lease('a');
    const lost: LossReason[] = [];
    a.events.on('lost', (reason) => lost.push(reason));
    a.start();
    await waitFor(() => a.held, 3000, 'a holds');
    // As if a had been frozen past the ttl and b had taken the node meanwhile.
    await clients[0]!.set('meetme:lease:ast-1', 'b:99999999999999', 'PX', 5000);
    await waitFor(() => lost.length > 0, 2000, 'a lost it');
    expect(lost).to.deep.equal(['superseded']);
    expect(a.held).to.equal(false);
    await waitFor(() => a.holder === 'b', 2000, 'a names b as the holder');
  });
});
