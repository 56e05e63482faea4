import { expect } from 'chai';
import { apiHarness, KEYS, type ApiHarness } from './apiHarness';

/** A seeded generator, so a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
}

const PATHS = [
  '/api/v1/definitions',
  '/api/v1/definitions/{n}',
  '/api/v1/conferences',
  '/api/v1/conferences/{n}',
  '/api/v1/conferences/{n}/participants/{id}/mute',
  '/api/v1/conferences/{n}/participants/{id}/gain',
  '/api/v1/conferences/{n}/mute-all',
  '/api/v1/conferences/{n}/kick-all',
  '/api/v1/conferences/{n}/lock',
  '/api/v1/conferences/{n}/play',
  '/api/v1/conferences/{n}/dial-out',
  '/api/v1/conferences/{n}/recording/start',
  '/api/v1/conferences/{n}/end',
  '/api/v1/recordings/{id}/file',
];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const JUNK = ['', 'abc', '-1', '1e9', '../../etc', '%00', '💥', 'a'.repeat(300), '9'.repeat(25), ' 100', '100;drop', '{}', 'null', '555'];
const BODIES = [
  '{',
  '[]',
  'null',
  '"x"',
  '{"number":1}',
  '{"name":{"$gt":""}}',
  '{"media":"sound:x"}',
  '{"media":[1,2]}',
  '{"talk":"loud"}',
  '{"endpoint":"PJSIP/a\\nb"}',
  '{"__proto__":{"admin":true}}',
  '\u0000\u0001',
  'x'.repeat(5000),
];

describe('API under malformed requests', function () {
  this.timeout(60000);
  let h: ApiHarness;
  before(async () => {
    h = await apiHarness();
  });
  after(async () => h.api.close());

  it('answers 3,000 malformed requests with JSON errors and never 5xx, keeps serving, and changes nothing', async () => {
    await h.join('100', 'a');
    const before = JSON.stringify({ live: h.manager.list(), defs: h.definitions.list() });
    const random = prng(7);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const statuses = new Map<number, number>();
    for (let i = 0; i < 3000; i++) {
      const path = pick(PATHS)
        .replace('{n}', encodeURIComponent(pick(JUNK)))
        .replace('{id}', encodeURIComponent(pick(JUNK)));
      const method = pick(METHODS);
      const withBody = method !== 'GET' && method !== 'DELETE' && random() < 0.8;
      const res = await h.api.inject({
        method,
        url: path,
        headers: {
          authorization: `Bearer ${random() < 0.2 ? 'wrong' : KEYS.admin}`,
          ...(withBody ? { 'content-type': random() < 0.9 ? 'application/json' : 'text/plain' } : {}),
        },
        ...(withBody ? { payload: pick(BODIES) } : {}),
      });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      // Reads of collections may succeed; nothing may fail on the server side or succeed in changing anything.
      if (method === 'GET' && res.statusCode === 200) continue;
      expect(res.statusCode, `${method} ${path}`).to.be.within(400, 499);
      expect(res.json().error.code, `${method} ${path}`).to.be.a('string');
    }
    expect(JSON.stringify({ live: h.manager.list(), defs: h.definitions.list() })).to.equal(before);
    expect((await h.api.inject({ url: '/api/v1/conferences', headers: { authorization: `Bearer ${KEYS.viewer}` } })).statusCode).to.equal(
      200,
    );
    expect(statuses.size).to.be.greaterThan(3);
  });
});
