import { expect } from 'chai';
import { parseOptions } from '../../../src/conference/options';
import { mediaDuration } from '../../double/sounds';
import { FakeCaller, callerFor, harness, settle, type Harness } from './fakes';

/** `expected` appears in `actual` as one run, in order. */
function expectRun(actual: readonly string[], expected: readonly string[]): void {
  const found = actual.some((_, i) => expected.every((m, j) => actual[i + j] === m));
  expect(found, `${JSON.stringify(expected)} in ${JSON.stringify(actual)}`).to.equal(true);
}

/** Dials `number` with `options`; resolves once the caller's flow has run as far as it goes without the clock. */
async function dial(h: Harness, id: string, number: string, options = '', answers: string[] = []): Promise<FakeCaller> {
  const caller = callerFor(h, id, answers);
  void h.manager.handleCaller(caller, [number, options]);
  await settle();
  return caller;
}

const idOf = (h: Harness, number: string, channel: string): string =>
  h.manager.get(number).participants.find((p) => p.channelId === channel)!.id;

describe('options with arguments', () => {
  it('reads L(x:y:z) and S(x) as app_meetme does, beside letters', () => {
    const o = parseOptions('iL(600000:60000:30000)S(90)C');
    expect(o).to.include({ announceNames: true, announceNamesNoReview: false, kickContinue: true, stopAfterSeconds: 90 });
    expect(o.limit).to.deep.equal({ limitMs: 600000, warningMs: 60000, repeatMs: 30000 });
    // A warning further out than the limit moves in by the repeat until it fits; without a repeat it is dropped.
    expect(parseOptions('L(60000:90000:20000)').limit).to.deep.equal({ limitMs: 60000, warningMs: 50000, repeatMs: 20000 });
    expect(parseOptions('L(60000:90000)').limit).to.deep.equal({ limitMs: 60000, warningMs: 0, repeatMs: 0 });
    expect(() => parseOptions('L(abc)S')).to.throw(/unknown conference options: L\(abc\), S/);
  });
});

describe('names announced on join and leave (I without review, i with review, as app_meetme)', () => {
  it('records the name before joining, says it to the others only, and deletes it once said on leaving', async () => {
    const h = harness();
    const first = await dial(h, 'c1', '7', 'I');
    const second = await dial(h, 'c2', '7', 'I');
    expect(second.played).to.include('sound:vm-rec-name');
    expect(second.recorded).to.have.length(1);
    const clip = `recording:${second.recorded[0]}`;
    expect(h.clips.kept.has(second.recorded[0]!)).to.equal(true);
    const media = h.app.last;
    await settle();
    expect(media.promptsTo(idOf(h, '7', 'c1'))).to.include.members([clip, 'sound:conf-hasjoin']);
    expect(media.promptsTo(idOf(h, '7', 'c2'))).to.not.include(clip);
    second.leave();
    await settle();
    expect(media.toAll).to.deep.include([clip, 'sound:conf-hasleft']);
    expect(h.clips.discarded).to.deep.equal([second.recorded[0]]);
    first.leave();
    await settle();
    expect(h.clips.kept.size).to.equal(0);
  });

  it('deletes what was recorded when the caller hangs up mid-recording, and never joins them', async () => {
    const h = harness();
    const caller = callerFor(h, 'c1');
    caller.hangupWhileRecording = true;
    await h.manager.handleCaller(caller, ['7', 'I']);
    expect(caller.recorded).to.have.length(1);
    expect(h.clips.discarded).to.deep.equal(caller.recorded);
    expect(h.app.opened).to.have.length(0);
  });

  it('i: the caller hears the name back, records it again, then keeps it', async () => {
    const h = harness();
    const caller = await dial(h, 'c1', '7', 'i', ['2', '3', '1']);
    expect(caller.recorded).to.have.length(2);
    expect(caller.recorded[0]).to.equal(caller.recorded[1]);
    expect(caller.prompted.filter((p) => p === 'sound:vm-review')).to.have.length(3);
    expectRun(caller.played, [`recording:${caller.recorded[0]}`, 'sound:vm-rec-name', 'sound:vm-msgsaved']);
    expect(h.manager.get('7').participants).to.have.length(1);
  });

  it('announceJoinLeave records every caller of the conference; q records nobody', async () => {
    const h = harness({}, [{ number: '8', name: 'Named', options: '', callerFlow: { announceJoinLeave: true } }]);
    const named = await dial(h, 'c1', '8');
    const quiet = await dial(h, 'c2', '8', 'q');
    expect(named.recorded).to.have.length(1);
    expect(quiet.recorded).to.have.length(0);
  });
});

describe('time limits (L, S)', () => {
  it('L(60000:30000:10000): the caller alone hears the time left at 30, 20 and 10 s, and is hung up at 60 s', async () => {
    const h = harness();
    const other = await dial(h, 'c0', '7');
    const limited = await dial(h, 'c1', '7', 'L(60000:30000:10000)');
    const id = idOf(h, '7', 'c1');
    const media = h.app.last;
    await h.clock.advance(29_000);
    expect(media.promptsTo(id)).to.not.include('sound:vm-youhave');
    await h.clock.advance(1_000);
    expectRun(media.promptsTo(id), ['sound:vm-youhave', 'number:30', 'sound:queue-seconds']);
    await h.clock.advance(20_000);
    expect(media.promptsTo(id).filter((m) => m === 'sound:vm-youhave')).to.have.length(3);
    expect(media.promptsTo(idOf(h, '7', 'c0'))).to.not.include('sound:vm-youhave');
    expect(limited.hungUp).to.equal(false);
    await h.clock.advance(10_000);
    expect(limited.hungUp).to.equal(true);
    expect(h.manager.get('7').participants.map((p) => p.channelId)).to.deep.equal(['c0']);
    expect(other.hungUp).to.equal(false);
  });

  it('says minutes, and plays the conference warning and timeout sounds instead when set', async () => {
    const h = harness({}, [
      { number: '8', name: 'Timed', options: '', callerFlow: { limitWarningSound: 'custom/soon', limitTimeoutSound: 'custom/over' } },
    ]);
    const minutes = await dial(h, 'm', '7', 'L(600000:150000)');
    await h.clock.advance(450_000);
    expectRun(h.app.opened[0]!.promptsTo(idOf(h, '7', 'm')), [
      'sound:vm-youhave',
      'number:2',
      'sound:queue-minutes',
      'number:30',
      'sound:queue-seconds',
    ]);
    minutes.leave();
    const custom = await dial(h, 'c', '8', 'L(60000:10000)');
    const id = idOf(h, '8', 'c');
    await h.clock.advance(50_000);
    expect(h.app.last.promptsTo(id)).to.include('sound:custom/soon');
    await h.clock.advance(10_000);
    await settle();
    expect(custom.played).to.include('sound:custom/over');
    expect(custom.hungUp).to.equal(true);
  });

  it('S(30) lets the caller go 30 s after joining, with no warning', async () => {
    const h = harness();
    const caller = await dial(h, 'c1', '7', 'S(30)');
    await h.clock.advance(29_999);
    expect(caller.hungUp).to.equal(false);
    await h.clock.advance(1);
    expect(caller.hungUp).to.equal(true);
    expect(caller.played).to.not.include('sound:vm-youhave');
  });
});

describe('back to the dialplan (C, X, p, kicks)', () => {
  it('a kicked caller, with or without C, hears conf-kicked and goes on to the next priority instead of being hung up', async () => {
    const h = harness();
    await dial(h, 'adm', '7', 'a');
    const kicked = await dial(h, 'c1', '7', '');
    await h.manager.kick('7', idOf(h, '7', 'c1'));
    await settle();
    expect(kicked.played).to.include('sound:conf-kicked');
    expect(kicked.continued).to.deep.equal({});
    expect(kicked.hungUp).to.equal(false);
  });

  it('x with C: when the last marked user leaves, the x caller hears conf-leaderhasleft and goes on in the dialplan', async () => {
    const h = harness();
    const leader = await dial(h, 'leader', '7', 'A');
    const follower = await dial(h, 'f', '7', 'xC');
    leader.leave();
    await settle();
    expect(follower.played).to.deep.equal(['sound:conf-leaderhasleft']);
    expect(follower.continued).to.deep.equal({});
    expect(follower.hungUp).to.equal(false);
  });

  it('C: out of time, the caller goes on in the dialplan', async () => {
    const h = harness();
    const caller = await dial(h, 'c1', '7', 'CS(10)');
    await h.clock.advance(10_000);
    expect(caller.continued).to.deep.equal({});
    expect(caller.hungUp).to.equal(false);
  });

  it('X: a digit leaves for that extension of the exit context; digits after * stay the menu', async () => {
    const h = harness({}, [{ number: '8', name: 'Exits', options: '', callerFlow: { exitContext: 'after-conf', exitDigits: '59' } }]);
    const caller = await dial(h, 'c1', '8', 'X');
    caller.press('*1');
    await settle();
    expect(h.manager.get('8').participants[0]!.muted).to.equal(true);
    caller.press('3');
    await settle();
    expect(caller.continued).to.equal(undefined);
    caller.press('5');
    await settle();
    expect(caller.continued).to.deep.equal({ context: 'after-conf', extension: '5', priority: 1 });
    expect(h.manager.list()).to.deep.equal([]);
  });
});

describe('ConfBridge announcements per conference', () => {
  it('announceUserCountAll: the others hear the count when someone joins', async () => {
    const h = harness({}, [{ number: '8', name: 'Count', options: '', callerFlow: { announceUserCountAll: true } }]);
    await dial(h, 'c1', '8');
    await dial(h, 'c2', '8');
    await dial(h, 'c3', '8');
    const media = h.app.last;
    expectRun(media.promptsTo(idOf(h, '8', 'c1')), ['sound:conf-onlyone', 'sound:conf-thereare', 'number:2', 'sound:conf-otherinparty']);
    expect(media.promptsTo(idOf(h, '8', 'c3'))).to.not.include('sound:conf-thereare');
  });

  it('hearOwnJoinSound false: the join tone goes to the others, not to everyone', async () => {
    const h = harness({}, [{ number: '8', name: 'Tones', options: '', callerFlow: { hearOwnJoinSound: false } }]);
    await dial(h, 'c1', '8');
    await dial(h, 'c2', '8');
    const media = h.app.last;
    expect(media.toAll).to.not.deep.include(['sound:beep']);
    expect(media.promptsTo(idOf(h, '8', 'c1'))).to.include('sound:beep');
    expect(media.promptsTo(idOf(h, '8', 'c2'))).to.not.include('sound:beep');
  });

  it("the conference's own sounds (sound_*) replace the config's, for its callers only", async () => {
    const defs = [
      { number: '8', name: 'Own', pin: '42', options: '', callerFlow: { prompts: { getPin: 'custom/pin', kicked: 'custom/bye' } } },
    ];
    const h = harness({ prompts: { kicked: 'sound:global-bye' } }, defs);
    const caller = await dial(h, 'c1', '8', '', ['42']);
    expect(caller.prompted).to.deep.equal(['sound:custom/pin']);
    await h.manager.kick('8', idOf(h, '8', 'c1'));
    await settle();
    expect(caller.played).to.include('sound:custom/bye');
    const elsewhere = await dial(h, 'c2', '9');
    await h.manager.kick('9', idOf(h, '9', 'c2'));
    await settle();
    expect(elsewhere.played).to.include('sound:global-bye');
  });
});

describe('menu keys', () => {
  it('*5 tells the caller how many others are there', async () => {
    const h = harness();
    const a = await dial(h, 'c1', '7');
    await dial(h, 'c2', '7');
    await dial(h, 'c3', '7');
    a.press('*5');
    await settle();
    expect(h.app.last.promptsTo(idOf(h, '7', 'c1')).slice(-3)).to.deep.equal([
      'sound:conf-thereare',
      'number:2',
      'sound:conf-otherinparty',
    ]);
  });

  it('admin *85 pauses the recording and resumes it', async () => {
    const h = harness();
    const admin = await dial(h, 'adm', '7', 'ar');
    expect(h.manager.get('7').recording).to.be.a('string');
    admin.press('*85');
    await settle();
    expect(h.app.last.paused).to.equal(true);
    admin.press('*85');
    await settle();
    expect(h.app.last.paused).to.equal(false);
    expectRun(
      h.events.map((e) => e.type),
      ['recording.paused', 'recording.resumed'],
    );
  });

  it('with s, the wait for a choice starts once the menu prompt has played, as in app_meetme', async () => {
    const MENU_MS = mediaDuration('sound:conf-usermenu').ms;
    const h = harness({ menus: { user: { '1': 'toggleMute' }, admin: {}, timeoutMs: 500 } }, [], { timedPrompts: true });
    const caller = await dial(h, 'c1', '7', 's1');
    caller.press('*');
    await settle();
    // The 500 ms wait has not begun while conf-usermenu plays.
    await h.clock.advance(MENU_MS - 200);
    caller.press('1');
    await h.clock.advance(2000);
    expect(h.manager.get('7').participants[0]!.muted).to.equal(true);
    // Once the prompt has played, the wait runs out as configured: a digit 600 ms after it is no choice.
    caller.press('*');
    await settle();
    await h.clock.advance(MENU_MS + 600);
    caller.press('1');
    await h.clock.advance(2000);
    expect(h.manager.get('7').participants[0]!.muted).to.equal(true);
  });
});
