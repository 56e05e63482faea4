import { expect } from 'chai';
import { AsteriskDouble } from '../double';
import { haApi } from '../support/haClient';
import { launchInstance, type Instance, stopInstances } from '../support/haInstance';
import { waitFor, waitForAsync } from '../support/logger';
import { PostgresServer } from '../support/postgresServer';
import { RedisServer } from '../support/redisServer';

const KEY = 'ha-test-admin-key-0123456789';

const api = (instance: Instance, method: string, path: string): ReturnType<typeof haApi> => haApi(instance, KEY, method, path);

/** The file as B's API answers it: status, the bytes, the range it says it sent. */
async function download(
  instance: Instance,
  name: string,
  range?: string,
): Promise<{ status: number; bytes: Buffer; range: string | null }> {
  const res = await fetch(`http://127.0.0.1:${instance.port}/api/v1/recordings/${name}/file`, {
    headers: { authorization: `Bearer ${KEY}`, ...(range !== undefined ? { range } : {}) },
  });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), range: res.headers.get('content-range') };
}

/**
 * Two instances sharing one Redis and one PostgreSQL (the recordings index), each driving its own Asterisk node:
 * an Asterisk-mixer recording lives in the spool of the node that made it, which only its driver can read.
 */
describe('an Asterisk-mixer recording fetched through the instance that drives its node', function () {
  this.timeout(90000);
  let pg: PostgresServer;
  let redis: RedisServer;
  const asts = new Map<string, AsteriskDouble>();
  const instances: Instance[] = [];

  before(async () => {
    pg = await PostgresServer.start();
  });
  after(async () => {
    await pg.stop();
  });

  beforeEach(async () => {
    redis = await RedisServer.start();
    for (const id of ['n1', 'n2'])
      asts.set(id, await AsteriskDouble.start({ timing: true, speed: 20, users: { 'node-a': 'secret', 'node-b': 'secret' } }));
  });

  afterEach(async function () {
    await stopInstances(instances, this.currentTest?.state === 'failed');
    for (const ast of asts.values()) await ast.stop();
    asts.clear();
    await redis.stop();
  });

  it("B serves and deletes a recording in n1's spool through A; with A gone it answers 503 recording_node_unavailable", async () => {
    const launch = (name: string, node: string): Promise<Instance> =>
      launchInstance(name, {
        ariUrl: asts.get(node)!.url,
        redisUrl: redis.url,
        apiKey: KEY,
        env: { ARI_NODE_ID: node, STORE_URL: pg.url, MIXER: 'asterisk' },
      });
    const [a, b] = await Promise.all([launch('a', 'n1'), launch('b', 'n2')]);
    instances.push(a, b);
    // Both reconciled: a caller in before that would be hung up as left over.
    await waitForAsync(
      async () => (await Promise.all([a, b].map((i) => api(i, 'GET', '/readyz')))).every((r) => r.status === 200),
      10000,
      'both ready',
    );
    asts.get('n1')!.dial({ exten: '930', callerId: 'Ana <100>', toneHz: 440 });
    await waitForAsync(async () => (await api(a, 'GET', '/api/v1/conferences/930')).status === 200, 8000, 'conference 930 on a');
    const names: string[] = [];
    for (let i = 0; i < 2; i++) {
      const started = await api(a, 'POST', '/api/v1/conferences/930/recording/start');
      expect(started.status).to.equal(201);
      names.push(started.body.name as string);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect((await api(a, 'POST', '/api/v1/conferences/930/recording/stop')).status).to.equal(204);
    }
    for (const name of names) {
      await waitFor(() => asts.get('n1')!.asterisk.stored.has(name), 3000, `${name} stored by n1`);
      await waitForAsync(async () => (await api(b, 'GET', `/api/v1/recordings/${name}`)).status === 200, 3000, `${name} in b's index`);
    }
    const [first, second] = names as [string, string];

    const fromA = await download(a, first);
    const fromB = await download(b, first);
    expect(fromB.status).to.equal(200);
    expect(fromB.bytes.toString('ascii', 0, 4)).to.equal('RIFF');
    expect(fromB.bytes.equals(fromA.bytes), 'the same bytes as from a').to.equal(true);
    const part = await download(b, first, 'bytes=0-43');
    expect([part.status, part.bytes.length, part.range]).to.deep.equal([206, 44, `bytes 0-43/${fromA.bytes.length}`]);
    // n2's Asterisk was never asked: the file came from n1 through a.
    expect(asts.get('n2')!.requests.some((r) => r.path.includes('/recordings/stored/'))).to.equal(false);

    expect((await api(b, 'DELETE', `/api/v1/recordings/${first}`)).status).to.equal(204);
    expect(asts.get('n1')!.asterisk.stored.has(first), 'deleted from n1').to.equal(false);
    await waitForAsync(async () => (await api(b, 'GET', `/api/v1/recordings/${first}`)).status === 404, 3000, 'out of the index');

    // Nobody drives n1 any more: 503 naming the node, not a 500 and not a hang.
    a.child.kill('SIGKILL');
    await a.exited;
    const gone = await api(b, 'GET', `/api/v1/recordings/${second}/file`);
    expect(gone.status).to.equal(503);
    expect(gone.body.error).to.deep.include({ code: 'recording_node_unavailable' });
    expect((gone.body.error as { message: string }).message).to.contain('n1');
    expect(gone.ms, 'answer with the driver of n1 dead (ms)').to.be.lessThan(3000);
  });
});
