import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApi } from '../../../src/api/buildApi';
import { captureLogger } from '../../support/logger';
import { apiHarness, KEYS, type ApiHarness } from './apiHarness';

describe('REST API', () => {
  let h: ApiHarness;
  beforeEach(async () => {
    h = await apiHarness();
  });
  afterEach(async () => h.api.close());

  describe('auth', () => {
    it('answers 401 JSON with WWW-Authenticate without a key or with a wrong one', async () => {
      for (const headers of [{}, { authorization: 'Bearer nope' }, { 'x-api-key': 'nope' }]) {
        const res = await h.api.inject({ url: '/api/v1/conferences', headers });
        expect(res.statusCode).to.equal(401);
        expect(res.headers['www-authenticate']).to.equal('Bearer');
        expect(res.json().error.code).to.equal('unauthorized');
      }
      expect((await h.api.inject({ url: '/api/v1/conferences', headers: { 'x-api-key': KEYS.viewer } })).statusCode).to.equal(200);
    });

    it('lets viewers read but not act, and moderators act only on their conferences', async () => {
      await h.join('100', 'a');
      await h.join('200', 'b');
      const viewer = await h.api.inject({ method: 'POST', url: '/api/v1/conferences/100/lock', headers: h.as('viewer') });
      expect(viewer.statusCode).to.equal(403);
      expect(viewer.json().error.code).to.equal('forbidden');
      expect((await h.api.inject({ method: 'POST', url: '/api/v1/conferences/100/lock', headers: h.as('moderator') })).statusCode).to.equal(
        204,
      );
      expect((await h.api.inject({ method: 'POST', url: '/api/v1/conferences/200/lock', headers: h.as('moderator') })).statusCode).to.equal(
        403,
      );
      const list = await h.api.inject({ url: '/api/v1/conferences', headers: h.as('moderator') });
      expect(list.json().conferences.map((c: { number: string }) => c.number)).to.deep.equal(['100']);
      expect(
        (
          await h.api.inject({
            method: 'POST',
            url: '/api/v1/definitions',
            headers: h.as('moderator'),
            payload: { number: '5', name: 'x' },
          })
        ).statusCode,
      ).to.equal(403);
    });
  });

  describe('definitions', () => {
    it('creates, reads, replaces and deletes, and keeps config-file ones read-only', async () => {
      const created = await h.api.inject({
        method: 'POST',
        url: '/api/v1/definitions',
        headers: h.as('admin'),
        payload: { number: '300', name: 'Weekly', pin: '12', options: 'Mc', maxMembers: 5 },
      });
      expect(created.statusCode).to.equal(201);
      expect(created.json()).to.include({ number: '300', name: 'Weekly', pin: '12', options: 'Mc', maxMembers: 5 });
      const replaced = await h.api.inject({
        method: 'PUT',
        url: '/api/v1/definitions/300',
        headers: h.as('admin'),
        payload: { name: 'Weekly sync', options: 'c' },
      });
      expect(replaced.json()).to.deep.equal({ number: '300', name: 'Weekly sync', options: 'c' });
      const list = await h.api.inject({ url: '/api/v1/definitions', headers: h.as('viewer') });
      expect(list.json().definitions.map((d: { number: string }) => d.number)).to.deep.equal(['999', '300']);
      const readOnly = await h.api.inject({ method: 'DELETE', url: '/api/v1/definitions/999', headers: h.as('admin') });
      expect(readOnly.statusCode).to.equal(409);
      expect(readOnly.json().error).to.include({ code: 'definition_read_only', field: 'number' });
      expect((await h.api.inject({ method: 'DELETE', url: '/api/v1/definitions/300', headers: h.as('admin') })).statusCode).to.equal(204);
      expect((await h.api.inject({ url: '/api/v1/definitions/300', headers: h.as('admin') })).statusCode).to.equal(404);
      // The domain reads the store: a new definition is a conference callers can dial.
      await h.api.inject({
        method: 'POST',
        url: '/api/v1/definitions',
        headers: h.as('admin'),
        payload: { number: '301', name: 'Pinned', pin: '7' },
      });
      expect(h.definitions.lookup('301')).to.include({ pin: '7' });
    });

    it('names the field of every invalid body', async () => {
      const cases: [object, string][] = [
        [{ name: 'x' }, 'body.number'],
        [{ number: 'abc', name: 'x' }, 'body.number'],
        [{ number: '1', name: 'x', pin: '12a' }, 'body.pin'],
        [{ number: '1', name: 'x', mixer: 'dahdi' }, 'body.mixer'],
        [{ number: '1', name: 'x', surprise: true }, 'body.surprise'],
        [{ number: '1', name: 'x', options: 'MZ' }, 'options'],
        [{ number: '1', name: 'x', schedule: { start: '2026-12-01T10:00:00Z', end: '2026-12-01T09:00:00Z' } }, 'schedule.end'],
        [{ number: '1', name: 'x', schedule: { start: 'tomorrow', end: '2026-12-01T09:00:00Z' } }, 'body.schedule.start'],
      ];
      for (const [payload, field] of cases) {
        const res = await h.api.inject({ method: 'POST', url: '/api/v1/definitions', headers: h.as('admin'), payload });
        expect(res.statusCode, JSON.stringify(payload)).to.equal(400);
        expect(res.json().error.field, JSON.stringify(payload)).to.equal(field);
      }
    });

    it('refuses bodies over the limit with 413 JSON', async () => {
      const res = await h.api.inject({
        method: 'POST',
        url: '/api/v1/definitions',
        headers: { ...h.as('admin'), 'content-type': 'application/json' },
        payload: JSON.stringify({ number: '1', name: 'x'.repeat(8000) }),
      });
      expect(res.statusCode).to.equal(413);
      expect(res.json().error.code).to.equal('body_too_large');
    });
  });

  describe('live control', () => {
    it('lists live conferences and participants with the fields moderators need', async () => {
      await h.join('100', 'a');
      const res = await h.api.inject({ url: '/api/v1/conferences/100/participants', headers: h.as('viewer') });
      expect(res.json().participants[0]).to.include.keys(
        'id',
        'callerIdName',
        'callerIdNumber',
        'role',
        'muted',
        'talking',
        'joinedAt',
        'nodeId',
      );
      expect((await h.api.inject({ url: '/api/v1/conferences/555', headers: h.as('viewer') })).json().error.code).to.equal(
        'conference_not_found',
      );
    });

    it('mutes one, mutes all non-admins in one call, kicks, locks, records, plays, sets gain and ends', async () => {
      const a = await h.join('100', 'a');
      await h.join('100', 'b');
      await h.join('100', 'adm', 'a');
      const [pa, pb] = h.manager.get('100').participants;
      const post = (path: string, payload?: object) =>
        h.api.inject({ method: 'POST', url: `/api/v1/conferences/100${path}`, headers: h.as('admin'), ...(payload ? { payload } : {}) });
      expect((await post(`/participants/${pa!.id}/mute`)).statusCode).to.equal(204);
      expect(h.manager.get('100').participants[0]!.muted).to.equal(true);
      expect((await post('/mute-all')).statusCode).to.equal(204);
      expect(h.manager.get('100').participants.map((p) => p.muted)).to.deep.equal([true, true, false]);
      expect((await post('/lock')).statusCode).to.equal(204);
      const rec = await post('/recording/start');
      expect(rec.statusCode).to.equal(201);
      expect(rec.json().name).to.match(/^meetme-100-/);
      expect((await post('/recording/start')).json().error.code).to.equal('already_recording');
      expect((await post('/recording/pause')).statusCode).to.equal(204);
      expect(h.app.last.paused).to.equal(true);
      expect((await post('/recording/resume')).statusCode).to.equal(204);
      expect(h.app.last.paused).to.equal(false);
      expect((await post('/play', { media: ['sound:beep'] })).statusCode).to.equal(204);
      expect(h.app.last.toAll).to.deep.include(['sound:beep']);
      expect((await post('/play', { media: ['file:///etc/passwd'] })).json().error.field).to.equal('body.media.0');
      const gain = await h.api.inject({
        method: 'PATCH',
        url: `/api/v1/conferences/100/participants/${pb!.id}/gain`,
        headers: h.as('admin'),
        payload: { talk: 2 },
      });
      expect(gain.statusCode).to.equal(204);
      expect(
        (
          await h.api.inject({
            method: 'PATCH',
            url: `/api/v1/conferences/100/participants/${pb!.id}/gain`,
            headers: h.as('admin'),
            payload: { talk: 9 },
          })
        ).json().error.field,
      ).to.equal('body.talk');
      expect((await post(`/participants/${pa!.id}/kick`)).statusCode).to.equal(204);
      expect(a.continued, 'back to the dialplan, as a MeetMe kick').to.deep.equal({});
      expect((await post('/participants/nobody/kick')).statusCode).to.equal(404);
      expect((await post('/end')).statusCode).to.equal(204);
      expect(h.manager.list()).to.deep.equal([]);
    });

    it('refuses to record a conference whose policy is off', async () => {
      await h.api.inject({
        method: 'POST',
        url: '/api/v1/definitions',
        headers: h.as('admin'),
        payload: { number: '400', name: 'Private', recording: 'off' },
      });
      await h.join('400', 'a', 'r');
      expect(h.app.last.recording).to.equal(undefined);
      const res = await h.api.inject({ method: 'POST', url: '/api/v1/conferences/400/recording/start', headers: h.as('admin') });
      expect(res.statusCode).to.equal(409);
      expect(res.json().error.code).to.equal('recording_disabled');
    });

    it('dials out with a validated endpoint', async () => {
      await h.join('100', 'a');
      const ok = await h.api.inject({
        method: 'POST',
        url: '/api/v1/conferences/100/dial-out',
        headers: h.as('admin'),
        payload: { endpoint: 'PJSIP/alice' },
      });
      expect(ok.statusCode).to.equal(202);
      expect(h.dialed[0]!.endpoint).to.equal('PJSIP/alice');
      const bad = await h.api.inject({
        method: 'POST',
        url: '/api/v1/conferences/100/dial-out',
        headers: h.as('admin'),
        payload: { endpoint: 'PJSIP/alice,bob' },
      });
      expect(bad.json().error.field).to.equal('body.endpoint');
    });
  });

  describe('recordings', () => {
    it('lists, downloads with ranges, and deletes', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'recs-'));
      const path = join(dir, 'meetme-100-a.wav');
      writeFileSync(path, Buffer.from('RIFF0123456789abcdef'));
      h.recordings.started({ name: 'meetme-100-a', conference: '100', location: 'local', path });
      h.recordings.started({ name: 'meetme-200-b', conference: '200', location: 'local', path });
      expect(
        (await h.api.inject({ url: '/api/v1/recordings', headers: h.as('moderator') }))
          .json()
          .recordings.map((r: { name: string }) => r.name),
      ).to.deep.equal(['meetme-100-a']);
      const whole = await h.api.inject({ url: '/api/v1/recordings/meetme-100-a/file', headers: h.as('viewer') });
      expect(whole.statusCode).to.equal(200);
      expect(whole.body).to.equal('RIFF0123456789abcdef');
      const part = await h.api.inject({ url: '/api/v1/recordings/meetme-100-a/file', headers: { ...h.as('viewer'), range: 'bytes=4-7' } });
      expect(part.statusCode).to.equal(206);
      expect(part.headers['content-range']).to.equal('bytes 4-7/20');
      expect(part.body).to.equal('0123');
      const tail = await h.api.inject({ url: '/api/v1/recordings/meetme-100-a/file', headers: { ...h.as('viewer'), range: 'bytes=-3' } });
      expect(tail.body).to.equal('def');
      const beyond = await h.api.inject({
        url: '/api/v1/recordings/meetme-100-a/file',
        headers: { ...h.as('viewer'), range: 'bytes=50-60' },
      });
      expect(beyond.statusCode).to.equal(416);
      expect(beyond.headers['content-range']).to.equal('bytes */20');
      expect(
        (await h.api.inject({ method: 'DELETE', url: '/api/v1/recordings/meetme-200-b', headers: h.as('moderator') })).statusCode,
      ).to.equal(403);
      expect(
        (await h.api.inject({ method: 'DELETE', url: '/api/v1/recordings/meetme-100-a', headers: h.as('moderator') })).statusCode,
      ).to.equal(204);
      expect((await h.api.inject({ url: '/api/v1/recordings/meetme-100-a', headers: h.as('admin') })).statusCode).to.equal(404);
    });
  });

  it('serves its OpenAPI document, a docs page and the console', async () => {
    const doc = (await h.api.inject({ url: '/openapi.json' })).json();
    expect(doc.openapi).to.match(/^3\./);
    expect(Object.keys(doc.paths)).to.include.members([
      '/api/v1/conferences/{number}/mute-all',
      '/api/v1/definitions',
      '/api/v1/recordings/{name}/file',
    ]);
    expect((await h.api.inject({ url: '/docs/' })).statusCode).to.equal(200);
    const page = await h.api.inject({ url: '/console' });
    expect(page.headers['content-type']).to.match(/text\/html/);
    expect(page.body).to.contain('/console/session.js');
    const session = await h.api.inject({ url: '/console/session.js' });
    expect(session.headers['content-type']).to.match(/javascript/);
    expect(session.body).to.contain('data-testid="api-key"');
  });
});

describe('REST API logging', () => {
  it('never writes an API key into the logs', async () => {
    const { logger, lines } = captureLogger('trace');
    const base = await apiHarness();
    const api = await buildApi({
      logger,
      readiness: () => ({ ready: true, checks: {} }),
      metrics: async () => ({ contentType: 'text/plain', body: '' }),
      control: base.manager,
      definitions: base.definitions,
      recordings: base.recordings,
      recordingFiles: () => {
        throw new Error('storage exploded');
      },
      keys: [{ name: 'ops', role: 'admin', key: KEYS.admin }],
    });
    base.recordings.started({ name: 'r1', conference: '1', location: 'local', path: '/nonexistent' });
    await api.inject({ url: '/api/v1/conferences', headers: { authorization: `Bearer ${KEYS.admin}` } });
    await api.inject({ url: '/api/v1/conferences', headers: { authorization: 'Bearer a-wrong-but-secret-key-123' } });
    const failed = await api.inject({ url: '/api/v1/recordings/r1/file', headers: { 'x-api-key': KEYS.admin } });
    expect(failed.statusCode).to.equal(500);
    expect((await api.inject({ url: `/api/v1/recordings/r1/file?key=${KEYS.admin}` })).statusCode).to.equal(500);
    const text = JSON.stringify(lines());
    expect(lines().length, 'the failure was logged').to.be.greaterThan(0);
    expect(text).to.not.contain(KEYS.admin).and.not.contain('a-wrong-but-secret-key-123');
    await api.close();
    await base.api.close();
  });
});
