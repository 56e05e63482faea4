import { expect } from 'chai';
import { AsteriskDouble } from '../double';
import { haApi } from '../support/haClient';
import { launchInstance, type Instance, stopInstances } from '../support/haInstance';
import { waitFor, waitForAsync } from '../support/logger';
import { PostgresServer } from '../support/postgresServer';
import { RedisServer } from '../support/redisServer';

const KEY = 'ha-test-admin-key-0123456789';

const api = (instance: Instance, method: string, path: string, body?: unknown): ReturnType<typeof haApi> =>
  haApi(instance, KEY, method, path, body);

/**
 * Two instances, each active for its own Asterisk node (two doubles), sharing one real PostgreSQL (`STORE_URL`) and
 * one Redis: definitions, schedules and the recordings index are the same on both.
 */
describe('two instances on one PostgreSQL: definitions, schedules and the recordings index shared', function () {
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
      asts.set(id, await AsteriskDouble.start({ timing: false, speed: 20, users: { 'node-a': 'secret', 'node-b': 'secret' } }));
  });

  afterEach(async function () {
    await stopInstances(instances, this.currentTest?.state === 'failed');
    for (const ast of asts.values()) await ast.stop();
    asts.clear();
    await redis.stop();
  });

  /** A active for n1, B for n2, both on the same PostgreSQL, started together (the migrations run once). */
  async function twoInstances(): Promise<{ a: Instance; b: Instance }> {
    const launch = (name: string, node: string): Promise<Instance> =>
      launchInstance(name, {
        ariUrl: asts.get(node)!.url,
        redisUrl: redis.url,
        apiKey: KEY,
        env: { ARI_NODE_ID: node, STORE_URL: pg.url },
      });
    const [a, b] = await Promise.all([launch('a', 'n1'), launch('b', 'n2')]);
    instances.push(a, b);
    await waitFor(() => a.output().includes('lease taken') && b.output().includes('lease taken'), 10000, 'both active');
    return { a, b };
  }

  it("a definition created through A's API is used by a caller on B; created on both at once it succeeds once and fails once with 409", async () => {
    const { a, b } = await twoInstances();
    const created = await api(a, 'POST', '/api/v1/definitions', { number: '900', name: 'Board', pin: '4321', options: 'q' });
    expect(created.status).to.equal(201);
    await waitForAsync(async () => (await api(b, 'GET', '/api/v1/definitions/900')).status === 200, 2000, 'seen on b');
    // A caller on B's node is asked for the definition's PIN and gets in with it.
    const caller = asts.get('n2')!.dial({ exten: '900', callerId: 'Ana <100>' });
    await waitFor(() => caller.playbacks().includes('sound:conf-getpin'), 8000, 'asked for the PIN');
    await caller.sendDtmf('4321#');
    await waitForAsync(
      async () => ((await api(b, 'GET', '/api/v1/conferences/900')).body.participants as unknown[] | undefined)?.length === 1,
      8000,
      'in conference 900 on b',
    );
    expect((await api(b, 'GET', '/api/v1/conferences/900')).body.name).to.equal('Board');

    // The same number on both at once: PostgreSQL's unique key lets one through.
    const both = await Promise.all([
      api(a, 'POST', '/api/v1/definitions', { number: '901', name: 'From A' }),
      api(b, 'POST', '/api/v1/definitions', { number: '901', name: 'From B' }),
    ]);
    expect(both.map((r) => r.status).sort()).to.deep.equal([201, 409]);
    const refused = both.find((r) => r.status === 409)!;
    expect(refused.body.error).to.deep.include({ code: 'definition_exists', field: 'number' });
    expect((refused.body.error as { message: string }).message).to.equal('conference 901 already exists');
    const winner = both[0].status === 201 ? 'From A' : 'From B';
    for (const instance of [a, b])
      await waitForAsync(
        async () => (await api(instance, 'GET', '/api/v1/definitions/901')).body.name === winner,
        2000,
        `${instance.name} has the one that was created`,
      );
  });

  it('a schedule set on B turns a caller on A away outside its time; a recording made on B is in the index on both', async () => {
    const { a, b } = await twoInstances();
    const start = new Date(Date.now() + 3_600_000).toISOString();
    const end = new Date(Date.now() + 7_200_000).toISOString();
    const booked = await api(b, 'POST', '/api/v1/definitions', { number: '910', name: 'Later', schedule: { start, end } });
    expect(booked.status).to.equal(201);
    await waitForAsync(async () => (await api(a, 'GET', '/api/v1/definitions/910')).status === 200, 2000, 'seen on a');
    expect((await api(a, 'GET', '/api/v1/definitions/910')).body.schedule).to.deep.include({ start, end });
    const early = asts.get('n1')!.dial({ exten: '910', callerId: 'Early <101>' });
    await waitFor(() => early.state === 'gone', 8000, 'the early caller turned away');
    expect(early.playbacks()).to.deep.equal(['sound:conf-locked']);
    expect(a.output()).to.contain('caller outside the booked time');

    // A recording of a conference B holds, started and stopped through A's API (forwarded to B).
    expect((await api(a, 'POST', '/api/v1/definitions', { number: '920', name: 'Rec', options: 'q' })).status).to.equal(201);
    await waitForAsync(async () => (await api(b, 'GET', '/api/v1/definitions/920')).status === 200, 2000, 'seen on b');
    asts.get('n2')!.dial({ exten: '920', callerId: 'Bo <102>', toneHz: 440 });
    await waitForAsync(async () => (await api(a, 'GET', '/api/v1/conferences/920')).status === 200, 8000, 'conference 920 seen on a');
    const started = await api(a, 'POST', '/api/v1/conferences/920/recording/start');
    expect(started.status).to.equal(201);
    const name = started.body.name as string;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect((await api(a, 'POST', '/api/v1/conferences/920/recording/stop')).status).to.equal(204);
    for (const instance of [a, b])
      await waitForAsync(
        async () => {
          const listed = (await api(instance, 'GET', '/api/v1/recordings')).body.recordings as
            { name: string; conference: string; endedAt: string | null }[] | undefined;
          const entry = listed?.find((r) => r.name === name);
          return entry?.conference === '920' && typeof entry.endedAt === 'string';
        },
        3000,
        `the finished recording in ${instance.name}'s index`,
      );
  });
});
