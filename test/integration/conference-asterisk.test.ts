import { expect } from 'chai';
import { nextApp, startApp, waitFor, type Running } from '../support/appHarness';
import { createApi } from '../../src/app/api';
import { silentLogger } from '../../src/lib/logger';

const config = {
  mixer: { default: 'asterisk' as const },
  conferences: [
    { number: '1234', name: 'Sync', pin: '42', adminPin: '99', options: '' },
    { number: '500', name: 'Open', options: 'c' },
  ],
};

function conferenceBridge(r: Running, number: string) {
  return r.ast.bridges().find((b) => b.name === `meetme-conf:${number}`);
}

const participants = (r: Running, number: string): number => {
  try {
    return r.app.manager.get(number).participants.length;
  } catch {
    return 0;
  }
};

describe('conferences in an Asterisk mixing bridge, against the ARI double', function () {
  this.timeout(20000);
  let r: Running;
  afterEach(async () => r?.stop());

  it('answers, takes the PIN, announces and joins callers into one mixing bridge with DTMF kept', async () => {
    r = await startApp(config);
    const alice = r.ast.dial({ exten: '1234', callerId: 'Alice <1001>' });
    await waitFor(() => alice.playbacks().includes('sound:conf-getpin'), 5000, 'PIN prompt');
    expect(r.ast.channel(alice.channelId)!.state).to.equal('Up');
    await alice.sendDtmf('42#');
    await waitFor(() => conferenceBridge(r, '1234')?.channels.length === 1, 5000, 'alice in bridge');
    // Told once she is in: the count and the membership are decided together.
    await waitFor(() => alice.playbacks().includes('sound:conf-onlyperson'), 5000, 'only person');
    const bridge = conferenceBridge(r, '1234')!;
    expect(bridge.flags).to.include('dtmf_events');
    const bob = r.ast.dial({ exten: '1234', callerId: 'Bob <1002>' });
    await waitFor(() => bob.playbacks().includes('sound:conf-getpin'));
    await bob.sendDtmf('99#');
    await waitFor(() => bridge.channels.length === 2, 5000, 'bob in bridge');
    const snapshot = r.app.manager.get('1234');
    expect(snapshot.mixer).to.equal('asterisk');
    expect(snapshot.participants.map((p) => [p.callerIdName, p.role])).to.deep.equal([
      ['Alice', 'user'],
      ['Bob', 'admin'],
    ]);
    expect(r.ast.channel(alice.channelId)!.talkDetect).to.equal(true);
  });

  it('turns TALK_DETECT into talking events, and mute into a channel mute Asterisk holds', async () => {
    r = await startApp(config);
    const carol = r.ast.dial({ exten: '500', callerId: 'Carol <1003>' });
    await waitFor(() => participants(r, '500') === 1);
    const talking: boolean[] = [];
    r.app.manager.events.on('event', (e) => {
      if (e.type === 'participant.talking') talking.push(e.talking);
    });
    carol.setTone(440);
    await waitFor(() => talking.length === 1, 3000, 'talking started');
    carol.setTone(null);
    await waitFor(() => talking.length === 2, 3000, 'talking finished');
    expect(talking).to.deep.equal([true, false]);
    const id = r.app.manager.get('500').participants[0]!.id;
    await r.app.manager.setMuted('500', id, true);
    expect(r.ast.channel(carol.channelId)!.mute).to.deep.equal({ in: true, out: false });
    await r.app.manager.setMuted('500', id, false);
    expect(r.ast.channel(carol.channelId)!.mute).to.deep.equal({ in: false, out: false });
  });

  it('runs the admin menu over DTMF: *2 locks, and a locked conference refuses callers', async () => {
    r = await startApp(config);
    const admin = r.ast.dial({ exten: '1234' });
    await waitFor(() => admin.playbacks().includes('sound:conf-getpin'));
    await admin.sendDtmf('99#');
    await waitFor(() => participants(r, '1234') === 1);
    await admin.sendDtmf('*2');
    await waitFor(() => r.app.manager.get('1234').locked, 3000, 'locked');
    const late = r.ast.dial({ exten: '1234' });
    await waitFor(() => late.playbacks().includes('sound:conf-getpin'));
    await late.sendDtmf('42#');
    await waitFor(() => late.state === 'gone', 5000, 'late caller hung up');
    expect(late.playbacks()).to.include('sound:conf-locked');
  });

  it('leaves nothing behind when a caller hangs up during the PIN prompt', async () => {
    r = await startApp(config);
    const caller = r.ast.dial({ exten: '1234' });
    await waitFor(() => caller.playbacks().includes('sound:conf-getpin'));
    expect(r.app.diagnostics()).to.deep.equal({ callers: 1, arriving: 1 });
    await caller.hangup();
    await waitFor(() => r.app.diagnostics().callers === 0, 3000, 'the caller let go');
    expect(r.app.diagnostics()).to.deep.equal({ callers: 0, arriving: 0 });
    expect(r.ast.bridges()).to.have.length(0);
    expect(r.app.manager.list()).to.deep.equal([]);
    expect(r.ast.requests.filter((q) => q.status >= 500)).to.deep.equal([]);
  });

  it('releases every listener it registered when it stops', async () => {
    r = await startApp(config);
    const app = r.app;
    expect(app.manager.events.listenerCount('event')).to.be.greaterThan(0);
    await app.stop();
    expect(app.manager.events.listenerCount('event')).to.equal(0);
    expect(app.engine.events.listenerCount('ticks')).to.equal(0);
    expect(app.ari.events.listenerCount('connected')).to.equal(0);
  });

  it('ends a conference cleanly when the last caller hangs up: bridge destroyed', async () => {
    r = await startApp(config);
    const a = r.ast.dial({ exten: '500' });
    await waitFor(() => participants(r, '500') === 1);
    await a.hangup();
    await waitFor(() => r.app.manager.list().length === 0);
    await waitFor(() => r.ast.bridges().length === 0, 3000, 'bridge destroyed');
  });

  it('never takes callers into a silent bridge without a timing module: the app mixer takes over, the log names the fix', async () => {
    r = await startApp(config, { timing: false });
    const caller = r.ast.dial({ exten: '500' });
    await waitFor(() => participants(r, '500') === 1, 5000, 'caller joined');
    expect(r.app.manager.get('500').mixer).to.equal('app');
    expect(conferenceBridge(r, '500')).to.equal(undefined);
    await waitFor(
      () => r.ast.bridges().some((b) => b.name.startsWith('meetme-leg:500:') && b.channels.includes(caller.channelId)),
      5000,
      'caller paired with externalMedia',
    );
    const warnings = r.logs().filter((l) => typeof l.msg === 'string' && l.msg.includes('res_timing_timerfd'));
    expect(warnings.length).to.be.greaterThan(0);
  });

  it('keeps the conference through an events socket drop and lets go of a caller who left meanwhile', async () => {
    r = await startApp(config);
    const a = r.ast.dial({ exten: '500' });
    const b = r.ast.dial({ exten: '500' });
    await waitFor(() => participants(r, '500') === 2);
    r.ast.dropEventSockets();
    await waitFor(() => !r.app.ari.connected, 3000, 'disconnected');
    await b.hangup();
    await waitFor(() => r.app.ari.connected, 5000, 'reconnected');
    await waitFor(() => participants(r, '500') === 1, 5000, 'b let go');
    expect(r.app.manager.get('500').participants[0]!.channelId).to.equal(a.channelId);
    expect(r.app.ari.stats().reconnects).to.equal(1);
  });

  it('after a restart, takes its bridge over and puts the callers back into their conference, as they were', async () => {
    r = await startApp(config);
    const admin = r.ast.dial({ exten: '1234', callerId: 'Ann <1001>' });
    const user = r.ast.dial({ exten: '1234', callerId: 'Bob <1002>' });
    await waitFor(() => admin.playbacks().includes('sound:conf-getpin') && user.playbacks().includes('sound:conf-getpin'));
    await admin.sendDtmf('99#');
    await user.sendDtmf('42#');
    const pending = r.ast.dial({ exten: '1234' });
    await waitFor(() => conferenceBridge(r, '1234')?.channels.length === 2 && pending.playbacks().includes('sound:conf-getpin'));
    const bob = r.app.manager.get('1234').participants.find((p) => p.channelId === user.channelId)!;
    await r.app.manager.setMuted('1234', bob.id, true);
    await waitFor(
      () => r.ast.channel(user.channelId)?.vars.get('MEETME_PARTICIPANT') === 'role=user;marked=0;muted=1',
      5000,
      'state saved on the channel',
    );
    const oldBridge = conferenceBridge(r, '1234')!.id;
    // The process dies: no goodbye to Asterisk, which keeps the channels in Stasis and the bridge.
    const dead = r.app;
    await dead.ari.close();
    const second = nextApp(r, config).app;
    await second.start();
    await waitFor(() => second.ready && participants({ ...r, app: second }, '1234') === 2, 10000, 'adopted');
    // The bridge is taken over as it is (a recording in it goes on), not replaced.
    await waitFor(() => conferenceBridge(r, '1234')?.channels.length === 2, 5000, 'bridged again');
    expect(conferenceBridge(r, '1234')!.id).to.equal(oldBridge);
    expect(r.ast.bridges().filter((b) => b.name === 'meetme-conf:1234')).to.have.length(1);
    expect(conferenceBridge(r, '1234')!.channels.sort()).to.deep.equal([admin.channelId, user.channelId].sort());
    const after = second.manager.get('1234').participants;
    expect(after.find((p) => p.channelId === admin.channelId)).to.include({ role: 'admin', muted: false });
    expect(after.find((p) => p.channelId === user.channelId)).to.include({ role: 'user', muted: true });
    await waitFor(() => r.ast.channel(user.channelId)?.mute.in === true, 5000, 'the mute held in Asterisk');
    await waitFor(() => pending.state === 'gone', 5000, 'caller left mid-prompt hung up');
    r = { ...r, app: second };
    void dead.stop();
  });

  it('serves a recording Asterisk made, in ranges, fetching it from Asterisk once', async () => {
    r = await startApp({ ...config, apiKeys: [{ name: 'ops', role: 'admin', key: 'k'.repeat(24) }] });
    const alice = r.ast.dial({ exten: '1234' });
    await waitFor(() => alice.playbacks().includes('sound:conf-getpin'));
    await alice.sendDtmf('42#');
    await waitFor(() => participants(r, '1234') === 1);
    const name = await r.app.manager.startRecording('1234');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await r.app.manager.stopRecording('1234');
    const http = await createApi(r.app, r.config, silentLogger());
    const headers = { 'x-api-key': 'k'.repeat(24) };
    const file = `/api/v1/recordings/${encodeURIComponent(name)}/file`;
    const whole = await http.inject({ url: file, headers });
    expect(whole.rawPayload.subarray(0, 4).toString()).to.equal('RIFF');
    const part = await http.inject({ url: file, headers: { ...headers, range: 'bytes=44-45' } });
    expect(part.statusCode).to.equal(206);
    expect(part.rawPayload.readUInt16LE(0), 'the marker the double puts at the start of the audio').to.equal(1);
    expect(part.headers['content-range']).to.equal(`bytes 44-45/${whole.rawPayload.length}`);
    const tail = await http.inject({ url: file, headers: { ...headers, range: 'bytes=-4' } });
    expect(tail.statusCode).to.equal(206);
    expect(tail.rawPayload).to.have.length(4);
    const fetches = r.ast.requests.filter((q) => q.method === 'GET' && q.path === `/recordings/stored/${name}/file`);
    expect(fetches, 'one download from Asterisk for every request of this player').to.have.length(1);
    await http.close();
  });

  it('dials out into a conference and the answered endpoint joins without the PIN', async () => {
    r = await startApp(config);
    const a = r.ast.dial({ exten: '1234' });
    await waitFor(() => a.playbacks().includes('sound:conf-getpin'));
    await a.sendDtmf('42#');
    await waitFor(() => participants(r, '1234') === 1);
    r.ast.asterisk.answers = (endpoint) => endpoint === 'PJSIP/alice';
    await r.app.manager.dialOut('1234', { endpoint: 'PJSIP/alice' });
    await waitFor(() => participants(r, '1234') === 2, 5000, 'dial-out joined');
    const error = await r.app.manager.dialOut('1234', { endpoint: 'PJSIP/nobody' }).catch((e: unknown) => e);
    expect(error).to.include({ code: 'ari_server_error' });
  });
});
