import { expect } from 'chai';
import { parseOptions } from '../../../src/conference/options';
import { FakeCaller, harness, settle, type Harness } from './fakes';

async function room(h: Harness, number: string, ...callers: [string, string][]): Promise<FakeCaller[]> {
  const made: FakeCaller[] = [];
  for (const [id, options] of callers) {
    const caller = new FakeCaller(id);
    made.push(caller);
    void h.manager.handleCaller(caller, [number, options]);
    await settle();
  }
  return made;
}

const idOf = (h: Harness, number: string, channel: string): string =>
  h.manager.get(number).participants.find((p) => p.channelId === channel)!.id;

describe('options', () => {
  it('reads MeetMe letters and names, and lists every unknown one', () => {
    const o = parseOptions('Mc,wait-marked|end-leader');
    expect(o).to.include({ moh: true, announceCount: true, waitMarked: true, endMarked: true, quiet: false });
    expect(() => parseOptions('MZ,bogus-name')).to.throw(/unknown conference options: Z, bogus-name/);
  });
});

describe('moderator control', () => {
  it('mutes all non-admins in one call and emits one event each', async () => {
    const h = harness();
    await room(h, '1', ['adm', 'a'], ['u1', ''], ['u2', '']);
    h.events.length = 0;
    await h.manager.setAllMuted('1', true);
    const muted = h.events.filter((e) => e.type === 'participant.muted');
    expect(muted).to.have.length(2);
    expect(h.manager.get('1').participants.map((p) => p.muted)).to.deep.equal([false, true, true]);
  });

  it('kicks with conf-kicked, kicks the last non-admin, and kicks all non-admins', async () => {
    const h = harness();
    const [adm, u1, u2, u3] = await room(h, '1', ['adm', 'a'], ['u1', ''], ['u2', ''], ['u3', '']);
    const u1Id = idOf(h, '1', 'u1');
    await h.manager.kick('1', u1Id);
    expect(h.app.last.members.has(u1Id), 'out of the mix when the kick answers').to.equal(false);
    await settle();
    expect(u1!.continued, 'a kick returns to the dialplan, as app_meetme does without C').to.deep.equal({});
    expect(u1!.hungUp).to.equal(false);
    expect(u1!.played).to.deep.equal(['sound:conf-kicked']);
    await h.clock.advance(10);
    await h.manager.kickLast('1');
    await settle();
    expect(u3!.gone || u2!.gone).to.equal(true);
    await h.manager.kickAll('1');
    await settle();
    expect(adm!.gone).to.equal(false);
    expect(h.manager.get('1').participants.map((p) => p.channelId)).to.deep.equal(['adm']);
  });

  it('answers unknown conferences and participants with 404 codes', async () => {
    const h = harness();
    await room(h, '1', ['a', '']);
    expect(() => h.manager.get('2'))
      .to.throw()
      .with.property('code', 'conference_not_found');
    const error = await h.manager.kick('1', 'nobody').catch((e: unknown) => e);
    expect(error).to.include({ code: 'participant_not_found', status: 404 });
    expect(await h.manager.setGain('1', idOf(h, '1', 'a'), { talk: 9 as never }).catch((e: unknown) => e)).to.include({
      code: 'invalid_gain',
    });
  });

  it('locks, records and ends, with events in order', async () => {
    const h = harness();
    const [a] = await room(h, '1', ['a', '']);
    h.events.length = 0;
    await h.manager.setLocked('1', true);
    const name = await h.manager.startRecording('1');
    expect(await h.manager.startRecording('1').catch((e: unknown) => e)).to.include({ code: 'already_recording' });
    await h.manager.end('1');
    expect(h.events.map((e) => e.type)).to.deep.equal([
      'conference.locked',
      'recording.started',
      'recording.stopped',
      'participant.left',
      'conference.ended',
    ]);
    expect(name).to.match(/^meetme-1-/);
    expect(a!.hungUp).to.equal(true);
    expect(h.app.last.closed).to.equal(1);
  });

  it('dials out and lets the answered channel in without the PIN', async () => {
    const h = harness({}, [{ number: '4', name: 'Pinned', options: '', pin: '1' }]);
    const { channelId } = await h.manager.dialOut('4', { endpoint: 'PJSIP/alice', admin: true });
    expect(channelId).to.equal('dial-1');
    const request = h.dialed[0]!;
    expect(request.endpoint).to.equal('PJSIP/alice');
    const answered = new FakeCaller(channelId);
    void h.manager.handleCaller(answered, request.appArgs);
    await settle();
    expect(answered.prompted).to.deep.equal([]);
    expect(h.manager.get('4').participants[0]).to.include({ role: 'admin', marked: true });
  });

  it('relays talker events', async () => {
    const h = harness();
    await room(h, '1', ['a', '']);
    const id = idOf(h, '1', 'a');
    h.app.last.events.safeEmit('talking', id, true);
    expect(h.manager.get('1').participants[0]!.talking).to.equal(true);
    h.app.last.events.safeEmit('talking', id, false);
    expect(h.events.filter((e) => e.type === 'participant.talking').map((e) => (e as { talking: boolean }).talking)).to.deep.equal([
      true,
      false,
    ]);
  });

  it('ends the conference when its media fails, asking the dead media nothing more', async () => {
    const h = harness();
    const [a, b] = await room(h, '1', ['a', ''], ['b', '']);
    await h.manager.startRecording('1');
    const media = h.app.last;
    const before = media.calls.length;
    h.events.length = 0;
    media.events.safeEmit('failed', 'bridge destroyed');
    await settle();
    expect(media.calls.slice(before), 'media calls after it failed').to.deep.equal([]);
    expect(media.closed).to.equal(0);
    expect(media.recording, 'the recording was not stopped through the dead media').to.be.a('string');
    expect([a!.hungUp, b!.hungUp]).to.deep.equal([true, true]);
    expect(h.manager.list()).to.deep.equal([]);
    expect(h.events.map((e) => e.type)).to.deep.equal(['recording.stopped', 'participant.left', 'participant.left', 'conference.ended']);
  });

  it('waits for the last conference to end when idle() is asked, on the injected clock', async () => {
    const h = harness();
    const [a] = await room(h, '1', ['a', '']);
    let idle: boolean | undefined;
    void h.manager.idle(30_000).then((v) => (idle = v));
    await h.clock.advance(10_000);
    expect(idle).to.equal(undefined);
    a!.leave();
    await settle();
    expect(idle).to.equal(true);
    const [b] = await room(h, '2', ['b', '']);
    void h.manager.idle(5_000).then((v) => (idle = v));
    await h.clock.advance(5_000);
    expect(idle).to.equal(false);
    expect(b!.hungUp).to.equal(false);
    expect(h.clock.pending()).to.equal(0);
  });
});

describe('DTMF menus', () => {
  it('user *1 toggles mute with a prompt, *4/*6 and *7/*9 step gains, *8 leaves', async () => {
    const h = harness();
    const [u] = await room(h, '1', ['u', ''], ['v', '']);
    const id = idOf(h, '1', 'u');
    u!.press('*1');
    await settle();
    expect(h.manager.get('1').participants[0]!.muted).to.equal(true);
    expect(h.app.last.promptsTo(id)).to.deep.equal(['sound:conf-onlyperson', 'sound:conf-muted']);
    u!.press('*6*6*7');
    await settle();
    expect(h.manager.get('1').participants[0]).to.include({ listenGain: 2, talkGain: -1 });
    u!.press('*8');
    await settle();
    expect(u!.continued, "ConfBridge's leave goes on in the dialplan").to.deep.equal({});
    expect(u!.hungUp).to.equal(false);
  });

  it('admin *2 locks, *3 kicks the last, *83 mutes all, *84 records, *82 kicks all non-admins', async () => {
    const h = harness();
    const [adm, u1] = await room(h, '1', ['adm', 'a'], ['u1', ''], ['u2', '']);
    adm!.press('*2');
    await settle();
    expect(h.manager.get('1').locked).to.equal(true);
    adm!.press('*83');
    await settle();
    expect(
      h.manager
        .get('1')
        .participants.filter((p) => p.role === 'user')
        .every((p) => p.muted),
    ).to.equal(true);
    adm!.press('*84');
    await settle();
    expect(h.manager.get('1').recording).to.be.a('string');
    adm!.press('*3');
    await settle();
    expect(h.manager.get('1').participants).to.have.length(2);
    adm!.press('*82');
    await settle();
    expect(u1!.continued).to.deep.equal({});
    expect(h.manager.get('1').participants.map((p) => p.channelId)).to.deep.equal(['adm']);
  });

  it('drops an unfinished sequence after the timeout', async () => {
    const h = harness();
    const [adm] = await room(h, '1', ['adm', 'a'], ['u', '']);
    adm!.press('*8');
    await h.clock.advance(3500);
    adm!.press('3');
    await settle();
    expect(h.manager.get('1').participants.every((p) => !p.muted)).to.equal(true);
  });

  it('leaves on # with p, and a listen-only caller cannot unmute', async () => {
    const h = harness();
    const [p, l] = await room(h, '1', ['p', 'p'], ['l', 'l'], ['x', '']);
    l!.press('*1');
    await settle();
    expect(h.manager.get('1').participants.find((q) => q.channelId === 'l')!.muted).to.equal(true);
    p!.press('#');
    await settle();
    expect(p!.continued, 'on at the next priority, as app_meetme returns').to.deep.equal({});
    expect(p!.continuedWith).to.deep.equal({ MEETME_EXIT_KEY: '#' });
    expect(p!.hungUp).to.equal(false);
  });

  it('plays the menu prompt with s', async () => {
    const h = harness();
    const [u] = await room(h, '1', ['u', 's']);
    u!.press('*');
    await settle();
    expect(h.app.last.promptsTo(idOf(h, '1', 'u'))).to.deep.equal(['sound:conf-onlyperson', 'sound:conf-usermenu']);
  });
});

describe('booked conferences', () => {
  const schedule = { start: '2026-11-23T11:00:00Z', end: '2026-11-23T12:00:00Z', earlyJoinMinutes: 10, endWarningsMinutes: [5] };

  it('turns callers away before the early-join window, lets them in within it, warns and ends on time', async () => {
    const h = harness({}, [{ number: '8', name: 'Booked', options: '', schedule }]);
    const early = new FakeCaller('early');
    await h.manager.handleCaller(early, ['8']);
    expect(early.played).to.deep.equal(['sound:conf-locked']);
    expect(early.hungUp).to.equal(true);
    await h.clock.advance(51 * 60000);
    const [ok] = await room(h, '8', ['ok', '']);
    expect(h.manager.get('8').participants).to.have.length(1);
    await h.clock.advance(65 * 60000);
    expect(h.app.last.toAll).to.deep.include(['sound:beep']);
    await h.clock.advance(10 * 60000);
    expect(ok!.hungUp).to.equal(true);
    expect(h.manager.list()).to.deep.equal([]);
    expect(h.clock.pending()).to.equal(0);
  });

  it('runs past the end when extended', async () => {
    const h = harness({}, [{ number: '8', name: 'Booked', options: '', schedule }]);
    await h.clock.advance(65 * 60000);
    const [a] = await room(h, '8', ['a', '']);
    await h.manager.extend('8', 30);
    await h.clock.advance(60 * 60000);
    expect(a!.hungUp).to.equal(false);
    await h.clock.advance(30 * 60000);
    expect(a!.hungUp).to.equal(true);
  });
});
