import { expect } from 'chai';
import type { FastifyInstance } from 'fastify';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiHarness, type ApiHarness } from './apiHarness';

/** Every route the server has, from fastify's own route tree (`printRoutes`), as method and path. */
function registeredRoutes(api: FastifyInstance): { method: string; path: string }[] {
  const routes: { method: string; path: string }[] = [];
  const stack: string[] = [];
  for (const line of api.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+)(?: \(([A-Z, ]+)\))?$/u.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    for (const method of m[3]?.split(', ') ?? []) routes.push({ method, path: stack.join('') });
  }
  return routes;
}

const PUBLIC = /^\/(healthz|readyz|metrics|openapi\.json|console|docs)(\/|$)/;

describe('API access control', () => {
  let h: ApiHarness;
  let participantId: string;
  beforeEach(async () => {
    h = await apiHarness();
    await h.join('100', 'a');
    await h.join('200', 'b');
    participantId = h.manager.get('100').participants[0]!.id;
    const path = join(mkdtempSync(join(tmpdir(), 'recs-')), 'meetme-100-a.wav');
    writeFileSync(path, Buffer.from('RIFF0123456789abcdef'));
    h.recordings.started({ name: 'meetme-100-a', conference: '100', location: 'local', path });
    h.recordings.started({ name: 'meetme-200-b', conference: '200', location: 'local', path });
    await h.api.ready();
  });
  afterEach(async () => h.api.close());

  /** The route's path with its parameters naming something that exists, or something that does not. */
  const fill = (path: string, exists: boolean): string =>
    path
      .replace(':number', exists ? '100' : '555')
      .replace(':id', exists ? participantId : 'nobody')
      .replace(':name', exists ? 'meetme-100-a' : 'meetme-555-x')
      .replace('*', 'index.html');

  it('every route answers 401 without a key or with an unknown one, the same whether its resource exists or not', async () => {
    const routes = registeredRoutes(h.api).filter((r) => !PUBLIC.test(r.path));
    expect(routes.length).to.be.greaterThan(30);
    expect(routes.map((r) => r.path)).to.include.members(['/api/v1/recordings/:name', '/api/v1/events', '/api/v1/definitions/:number']);
    for (const { method, path } of routes) {
      for (const headers of [{}, { authorization: 'Bearer not-a-key-of-ours-0123' }, { 'x-api-key': 'not-a-key-of-ours-0123' }]) {
        const answers = [];
        for (const exists of [true, false]) {
          const res = await h.api.inject({
            method: method as 'GET',
            url: fill(path, exists),
            headers: { ...headers, 'content-type': 'application/json' },
            ...(method === 'GET' || method === 'HEAD' ? {} : { payload: '{}' }),
          });
          expect(res.statusCode, `${method} ${fill(path, exists)} ${JSON.stringify(headers)}`).to.equal(401);
          answers.push(res.body);
        }
        expect(answers[0], `${method} ${path}`).to.equal(answers[1]);
      }
    }
  });

  it('needs no key only for probes, metrics, the OpenAPI document, its docs page and the console', async () => {
    const open = [];
    for (const { method, path } of registeredRoutes(h.api)) {
      const res = await h.api.inject({ method: method as 'GET', url: fill(path, true) });
      if (res.statusCode !== 401) open.push(path);
    }
    expect(open.length).to.be.greaterThan(5);
    for (const path of open) expect(path).to.match(PUBLIC);
  });

  it('refuses a moderator the same way whether a recording of another conference exists or not', async () => {
    const asModerator = (name: string, method: 'GET' | 'DELETE' = 'GET') =>
      h.api.inject({ method, url: `/api/v1/recordings/${name}`, headers: h.as('moderator') });
    const other = await asModerator('meetme-200-b');
    const missing = await asModerator('meetme-555-x');
    expect([other.statusCode, missing.statusCode]).to.deep.equal([403, 403]);
    expect(other.json().error.code).to.equal('forbidden');
    expect((await asModerator('meetme-200-b', 'DELETE')).statusCode).to.equal(403);
    expect(h.recordings.find('meetme-200-b')).to.not.equal(undefined);
    expect((await asModerator('meetme-100-a')).statusCode).to.equal(200);
    // Unscoped keys get the plain answer.
    expect((await h.api.inject({ url: '/api/v1/recordings/meetme-555-x', headers: h.as('viewer') })).statusCode).to.equal(404);
  });

  it('refuses a viewer any change before reading the body', async () => {
    const res = await h.api.inject({
      method: 'POST',
      url: '/api/v1/definitions',
      headers: { ...h.as('viewer'), 'content-type': 'application/json' },
      payload: '{not json',
    });
    expect(res.statusCode).to.equal(403);
  });

  it('will not start with a route that declares no access, naming it', async () => {
    const api = (await apiHarness()).api;
    api.get('/api/v1/forgotten', async () => ({ secret: true }));
    const started = await api.ready().then(
      () => 'started',
      (error: Error) => error.message,
    );
    expect(started).to.contain('GET /api/v1/forgotten');
    await api.close().catch(() => undefined);
  });
});
