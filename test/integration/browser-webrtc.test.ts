import { expect } from 'chai';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { createApi } from '../../src/app/api';
import { silentLogger } from '../../src/lib/logger';
import { signJoinToken } from '../../src/webrtc/joinToken';
import type { SimCaller } from '../double';
import { goertzelDb } from '../support/audio';
import { startApp, waitFor, type Running } from '../support/appHarness';
import { SimBrowser } from '../support/webrtcPeer';

const KEY = 'browser-admin-key-0123456789';
const SECRET = 'a-join-link-secret-of-32-characters!!';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function db(samples: Int16Array, hz: number): number {
  return goertzelDb(samples, hz);
}

describe('a browser joins over WebRTC into the app mixer (a werift peer as the browser)', function () {
  this.timeout(40000);
  let r: Running;
  let http: FastifyInstance;
  const browsers: SimBrowser[] = [];

  async function start(conference: { number: string; pin?: string; options?: string }): Promise<string> {
    r = await startApp(
      {
        mixer: { default: 'app' },
        conferences: [{ options: 'q', ...conference }],
        apiKeys: [{ name: 'ops', role: 'admin', key: KEY }],
        webrtc: { tokenSecret: SECRET, address: '127.0.0.1', bindAddress: '127.0.0.1' },
      },
      { timing: false },
    );
    http = await createApi(r.app, r.config, silentLogger());
    await http.listen({ port: 0, host: '127.0.0.1' });
    return `ws://127.0.0.1:${(http.server.address() as AddressInfo).port}`;
  }

  async function link(number: string, body: Record<string, unknown> = {}): Promise<string> {
    const response = await http.inject({
      method: 'POST',
      url: `/api/v1/conferences/${number}/join-links`,
      headers: { authorization: `Bearer ${KEY}` },
      payload: body,
    });
    expect(response.statusCode, response.body).to.equal(201);
    return response.json<{ token: string }>().token;
  }

  const browser = (base: string, token: string, toneHz: number | null, pin?: string, dropEvery?: number): SimBrowser => {
    const b = new SimBrowser({
      url: `${base}/join/${token}/signal`,
      toneHz,
      ...(pin !== undefined ? { pin } : {}),
      ...(dropEvery !== undefined ? { dropEvery } : {}),
    });
    browsers.push(b);
    return b;
  };

  afterEach(async () => {
    for (const b of browsers.splice(0)) await b.close();
    await http?.close();
    await r?.stop();
  });

  it('hears the two callers and not itself; they hear it; mute silences it; a vanished browser leaves within 10 s', async () => {
    const base = await start({ number: '800' });
    const callers: SimCaller[] = [440, 880].map((hz, i) => r.ast.dial({ exten: '800', callerId: `C${i} <10${i}>`, toneHz: hz }));
    const joinStarted = Date.now();
    const b = browser(base, await link('800', { name: 'Web Alice' }), 1200);
    await waitFor(() => b.participantId !== undefined, 10000, 'the browser joined');
    const joinMs = Date.now() - joinStarted;
    await waitFor(() => r.app.manager.get('800').participants.length === 3, 8000, 'three participants');
    const me = r.app.manager.get('800').participants.find((p) => p.id === b.participantId)!;
    expect(me.callerIdName).to.equal('Web Alice');
    expect(joinMs, 'join time').to.be.lessThan(5000);

    await sleep(600);
    b.clearHeard();
    for (const c of callers) c.clearHeard();
    await sleep(1500);
    const heard = b.heardSamples(8000);
    expect(heard.length, 'the browser receives the mix').to.be.greaterThan(7000);
    expect(db(heard, 440) - db(heard, 1200), 'browser hears 440 over its own 1200').to.be.greaterThan(20);
    expect(db(heard, 880) - db(heard, 1200), 'browser hears 880 over its own 1200').to.be.greaterThan(20);
    for (const [i, c] of callers.entries()) {
      const tail = c.heard().subarray(-8000);
      const own = i === 0 ? 440 : 880;
      expect(db(tail, 1200) - db(tail, own), `caller ${i} hears the browser over itself`).to.be.greaterThan(20);
    }
    await waitFor(() => r.app.manager.get('800').participants.find((p) => p.id === b.participantId)?.talking === true, 5000, 'talking');

    const muted = await http.inject({
      method: 'POST',
      url: `/api/v1/conferences/800/participants/${b.participantId}/mute`,
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(muted.statusCode).to.equal(204);
    await sleep(300);
    callers[0]!.clearHeard();
    await sleep(1000);
    const after = callers[0]!.heard();
    expect(db(after, 1200) - db(after, 880), 'the muted browser is gone from the mix').to.be.lessThan(-20);
    expect(b.messages.some((m) => m.type === 'participant.muted' && m.participantId === b.participantId)).to.equal(true);

    const vanished = Date.now();
    b.goSilent();
    await waitFor(() => r.app.manager.get('800').participants.length === 2, 10000, 'the silent browser removed');
    expect(Date.now() - vanished).to.be.lessThan(10000);
    expect(r.app.browsers!.gateway.size).to.equal(0);
  });

  it('conceals a lossy network as for any RTP leg: the relay keeps sequence numbers, the jitter buffer fills the gaps', async () => {
    const base = await start({ number: '803' });
    const caller = r.ast.dial({ exten: '803', callerId: 'Phone <300>', toneHz: null });
    const b = browser(base, await link('803'), 1200, undefined, 10);
    await waitFor(() => b.participantId !== undefined, 10000, 'the browser joined');
    await sleep(500);
    const before = r.app.engine.stats();
    caller.clearHeard();
    await sleep(2000);
    const after = r.app.engine.stats();
    // One frame in ten never arrives: about 5 a second are lost and each is concealed.
    expect(after.lost - before.lost).to.be.within(6, 14);
    expect(after.concealed - before.concealed).to.be.at.least(after.lost - before.lost);
    const heard = caller.heard();
    expect(db(heard, 1200)).to.be.greaterThan(-30);
  });

  it('asks for the PIN when the link does not stand for it, turns a wrong PIN away, and a kick lets the browser go', async () => {
    const base = await start({ number: '801', pin: '4321' });
    const token = await link('801', { pin: 'ask' });
    const wrong = browser(base, token, null, '1111');
    await wrong.closed;
    expect(wrong.participantId).to.equal(undefined);
    expect(wrong.messages.filter((m) => m.type === 'collect')).to.have.length(3);
    expect(wrong.messages.some((m) => m.type === 'prompt' && (m.media as string[]).includes('sound:conf-invalidpin'))).to.equal(true);
    const right = browser(base, token, null, '4321');
    await waitFor(() => right.participantId !== undefined, 10000, 'joined with the PIN');
    expect(r.app.manager.get('801').participants).to.have.length(1);
    const kicked = await http.inject({
      method: 'POST',
      url: `/api/v1/conferences/801/participants/${right.participantId}/kick`,
      headers: { authorization: `Bearer ${KEY}` },
    });
    expect(kicked.statusCode).to.equal(204);
    expect(await right.closed).to.equal(4000);
    expect(right.messages.at(-1)).to.deep.include({ type: 'bye' });
    // The kick prompt (a 700 Hz tone in these sounds) was played into its audio before it was let go.
    expect(db(right.heardSamples(2400), 700), 'the browser heard conf-kicked').to.be.greaterThan(-30);
    await waitFor(() => r.app.manager.list().length === 0, 5000, 'the conference ended with its last participant');
  });

  it('refuses an expired or forged link: a clear page, and the socket closes before any join', async () => {
    const base = await start({ number: '802' });
    const expired = signJoinToken(SECRET, { conference: '802', expiresAt: Date.now() - 1000, pin: 'included', admin: false });
    const page = await http.inject({ method: 'GET', url: `/join/${expired}` });
    expect(page.statusCode).to.equal(410);
    expect(page.headers['content-type']).to.match(/text\/html/);
    expect(page.body).to.contain('This link has expired');
    expect(page.body).not.to.contain('join.js');
    const late = browser(base, expired, 440);
    expect(await late.closed).to.equal(4010);

    const forged = signJoinToken('another-secret-another-secret-0000', {
      conference: '802',
      expiresAt: Date.now() + 60000,
      pin: 'included',
      admin: true,
    });
    expect((await http.inject({ method: 'GET', url: `/join/${forged}` })).statusCode).to.equal(401);
    expect(await browser(base, forged, 440).closed).to.equal(4001);
    expect(r.app.manager.list()).to.have.length(0);

    const good = await link('802');
    const ok = await http.inject({ method: 'GET', url: `/join/${good}` });
    expect(ok.statusCode).to.equal(200);
    expect(ok.body).to.contain('/join/join.js');
  });
});
