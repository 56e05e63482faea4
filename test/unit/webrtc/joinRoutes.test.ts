import { expect } from 'chai';
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../../../src/api/buildApi';
import { LocalRecordingFiles } from '../../../src/api/recordingFiles';
import { silentLogger } from '../../../src/lib/logger';
import { DefinitionStore } from '../../../src/store/DefinitionStore';
import { RecordingsIndex } from '../../../src/store/RecordingsIndex';
import { Store } from '../../../src/store/Store';
import { BrowserGateway } from '../../../src/webrtc/BrowserGateway';
import { JoinLinks } from '../../../src/webrtc/JoinLinks';
import { parsePageMessage } from '../../../src/webrtc/protocol';
import { FakeCaller, harness, settle, type Harness } from '../conference/fakes';

const KEYS = { admin: 'admin-key-0123456789abcdef', moderator: 'moderator-key-0123456789ab', viewer: 'viewer-key-0123456789abcdef' };

async function api(h: Harness, links: JoinLinks | undefined): Promise<FastifyInstance> {
  const store = new Store(':memory:');
  const files = new LocalRecordingFiles();
  const gateway = new BrowserGateway({
    admit: async () => undefined,
    control: h.manager,
    logger: silentLogger(),
    peer: { iceServers: [], portRange: [41000, 41999], relayAddress: '127.0.0.1', mediaTimeoutMs: 5000, connectTimeoutMs: 5000 },
  });
  return buildApi({
    logger: silentLogger(),
    readiness: () => ({ ready: true, checks: {} }),
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
    control: h.manager,
    definitions: new DefinitionStore(store, []),
    recordings: new RecordingsIndex(store),
    recordingFiles: () => files,
    keys: [
      { name: 'ops', role: 'admin', key: KEYS.admin },
      { name: 'host', role: 'moderator', key: KEYS.moderator, conferences: ['100'] },
      { name: 'wall', role: 'viewer', key: KEYS.viewer },
    ],
    join: links ? { links, gateway } : undefined,
  });
}

describe('join links over the API', () => {
  const links = new JoinLinks('a-secret-that-is-long-enough-0123456789', 3600);
  let app: FastifyInstance;
  afterEach(async () => app?.close());

  const post = (number: string, key: string | undefined, payload?: Record<string, unknown>) =>
    app.inject({
      method: 'POST',
      url: `/api/v1/conferences/${number}/join-links`,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), host: 'meet.example:8090' },
      ...(payload ? { payload } : {}),
    });

  it('are issued to an admin, and to a moderator for their own conference only', async () => {
    app = await api(harness(), links);
    const byAdmin = await post('700', KEYS.admin, { name: 'Ana', pin: 'included', expiresInSeconds: 600 });
    expect(byAdmin.statusCode).to.equal(201);
    const body = byAdmin.json<{ token: string; url: string; path: string; expiresAt: string }>();
    expect(body.url).to.equal(`http://meet.example:8090/join/${body.token}`);
    expect(links.verify(body.token)).to.include({ conference: '700', name: 'Ana', pin: 'included' });
    expect((await post('100', KEYS.moderator)).statusCode).to.equal(201);
    expect((await post('700', KEYS.moderator)).statusCode).to.equal(403);
    expect((await post('100', KEYS.viewer)).statusCode).to.equal(403);
    expect((await post('100', undefined)).statusCode).to.equal(401);
  });

  it('name the field that is wrong, and are refused when browsers cannot join', async () => {
    app = await api(harness(), links);
    const tooLong = await post('700', KEYS.admin, { expiresInSeconds: 7200 });
    expect(tooLong.statusCode).to.equal(400);
    expect(tooLong.json()).to.deep.include({
      error: { code: 'invalid_request', message: tooLong.json().error.message, field: 'expiresInSeconds' },
    });
    expect((await post('700', KEYS.admin, { pin: 'maybe' })).json().error.field).to.equal('body.pin');
    expect((await post('700', KEYS.admin, { admin: true, pin: 'ask' })).statusCode).to.equal(400);
    await app.close();
    app = await api(harness(), undefined);
    const off = await post('700', KEYS.admin);
    expect(off.statusCode).to.equal(503);
    expect(off.json().error.code).to.equal('webrtc_unavailable');
    expect((await app.inject({ method: 'GET', url: '/join/whatever' })).statusCode).to.equal(404);
  });
});

describe('a browser admitted with a link', () => {
  it('stands for the PIN when the link says so, and is asked for it otherwise', async () => {
    const h = harness({}, [{ number: '300', name: 'Locked by PIN', pin: '1234', options: 'q' }]);
    const withLink = new FakeCaller('browser-a', []);
    void h.manager.admit(withLink, '300', { pinIncluded: true, admin: false });
    await settle();
    expect(withLink.prompted).to.deep.equal([]);
    expect(h.manager.get('300').participants.map((p) => p.channelId)).to.deep.equal(['browser-a']);

    const asked = new FakeCaller('browser-b', ['9999', '1234']);
    void h.manager.admit(asked, '300', { pinIncluded: false, admin: false });
    await settle();
    expect(asked.prompted).to.deep.equal(['sound:conf-getpin', 'sound:conf-getpin']);
    expect(asked.played).to.include('sound:conf-invalidpin');
    expect(h.manager.get('300').participants).to.have.length(2);

    const admin = new FakeCaller('browser-c', []);
    void h.manager.admit(admin, '300', { pinIncluded: true, admin: true });
    await settle();
    expect(h.manager.get('300').participants.find((p) => p.channelId === 'browser-c')?.role).to.equal('admin');
  });
});

describe('signalling messages from the page', () => {
  it('are taken only when well formed', () => {
    expect(parsePageMessage('{"type":"offer","sdp":"v=0\\r\\n"}')).to.deep.equal({ type: 'offer', sdp: 'v=0\r\n' });
    expect(parsePageMessage('{"type":"offer","sdp":"hello"}')).to.equal(undefined);
    expect(parsePageMessage('{"type":"digits","digits":"12#"}')).to.deep.equal({ type: 'digits', digits: '12#' });
    expect(parsePageMessage('{"type":"digits","digits":"12a"}')).to.equal(undefined);
    expect(parsePageMessage('{"type":"mute","muted":"yes"}')).to.equal(undefined);
    expect(
      parsePageMessage('{"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 1.2.3.4 5 typ host","sdpMid":"0"}}'),
    ).to.deep.equal({
      type: 'candidate',
      candidate: { candidate: 'candidate:1 1 udp 1 1.2.3.4 5 typ host', sdpMid: '0' },
    });
    expect(parsePageMessage('{"type":"candidate"}')).to.equal(undefined);
    expect(parsePageMessage('not json')).to.equal(undefined);
    expect(parsePageMessage('null')).to.equal(undefined);
    expect(parsePageMessage('{"type":"shutdown"}')).to.equal(undefined);
  });
});
