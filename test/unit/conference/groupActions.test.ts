import { expect } from 'chai';
import { mediaDuration } from '../../double/sounds';
import { callerFor, harness, settle, type FakeCaller, type Harness } from './fakes';

const KICKED_MS = mediaDuration('sound:conf-kicked').ms;

/** Dials `count` callers into `number` with `options`, letting each one's prompts play out. */
async function dialIn(h: Harness, number: string, options: string, count: number, prefix: string): Promise<FakeCaller[]> {
  const callers: FakeCaller[] = [];
  for (let i = 0; i < count; i++) {
    const caller = callerFor(h, `${prefix}${i}`);
    callers.push(caller);
    void h.manager.handleCaller(caller, [number, options]);
    await settle();
  }
  await h.clock.advance(10_000);
  return callers;
}

const idOf = (h: Harness, number: string, channel: string): string =>
  h.manager.get(number).participants.find((p) => p.channelId === channel)!.id;

/** Advances the fake clock in 50 ms steps until `done` holds for every id; when each first held, from `t0`. */
async function timesUntil(h: Harness, ids: string[], done: (id: string) => boolean, t0: number, limitMs = 60_000): Promise<number[]> {
  const at = new Map<string, number>();
  for (let waited = 0; at.size < ids.length && waited <= limitMs; waited += 50) {
    for (const id of ids) if (!at.has(id) && done(id)) at.set(id, h.clock.now() - t0);
    await h.clock.advance(50);
  }
  return ids.map((id) => at.get(id) ?? Infinity);
}

describe('group actions with 20 participants, prompts at their real length', () => {
  it('releases 20 callers waiting for the leader together: the last within 3 s of the leader', async () => {
    const h = harness({}, [], { timedPrompts: true });
    const waiting = await dialIn(h, '9', 'wM', 20, 'w');
    const media = h.app.last;
    const ids = waiting.map((c) => idOf(h, '9', c.channelId));
    expect(ids.every((id) => media.music.has(id) && media.talk.get(id) === false)).to.equal(true);
    const t0 = h.clock.now();
    void h.manager.handleCaller(callerFor(h, 'leader'), ['9', 'Aq']);
    const released = await timesUntil(h, ids, (id) => media.talk.get(id) === true && !media.music.has(id), t0);
    expect(Math.max(...released), 'the last one released, ms after the leader').to.be.at.most(3000);
    for (const id of ids) expect(media.promptsTo(id)).to.include('sound:conf-placeintoconf');
  });

  it('kick-all answers at once with everyone out of the mix, each hearing conf-kicked on the way out', async () => {
    const h = harness({}, [], { timedPrompts: true });
    const [admin] = await dialIn(h, '9', 'aq', 1, 'adm');
    const users = await dialIn(h, '9', 'q', 20, 'u');
    const media = h.app.last;
    const ids = users.map((c) => idOf(h, '9', c.channelId));
    let answered = false;
    void h.manager.kickAll('9').then(() => (answered = true));
    await settle();
    expect(answered, 'kick-all answered without waiting for the prompts').to.equal(true);
    expect(
      ids.filter((id) => media.members.has(id)),
      'still in the mix',
    ).to.deep.equal([]);
    expect(h.manager.get('9').participants.map((p) => p.channelId)).to.deep.equal([admin!.channelId]);
    // The prompt plays on each caller's own channel, after the mix let them go.
    expect(users.every((c) => c.played.includes('sound:conf-kicked') && !c.gone)).to.equal(true);
    const t0 = h.clock.now();
    const out = await timesUntil(h, ids, (id) => users[ids.indexOf(id)]!.continued !== undefined, t0);
    expect(Math.max(...out), 'the last one back in the dialplan, ms after the kick').to.be.at.most(3000);
    expect(Math.min(...out), 'conf-kicked was heard in full').to.be.at.least(KICKED_MS);
  });

  it('a single kick answers at once, with the caller out of the mix before conf-kicked', async () => {
    const h = harness({}, [], { timedPrompts: true });
    const [a, b] = await dialIn(h, '9', 'q', 2, 'k');
    const media = h.app.last;
    const id = idOf(h, '9', a!.channelId);
    let answered = false;
    void h.manager.kick('9', id).then(() => (answered = true));
    await settle();
    expect(answered).to.equal(true);
    expect(media.members.has(id)).to.equal(false);
    expect(media.promptsTo(id)).to.deep.equal([]);
    expect(a!.played).to.include('sound:conf-kicked');
    await h.clock.advance(KICKED_MS);
    expect(a!.continued).to.deep.equal({});
    expect(b!.gone).to.equal(false);
  });

  it('a kicked caller with direct media (a browser) is out of the mix at once and hears conf-kicked through its leg', async () => {
    const h = harness({}, [], { timedPrompts: true });
    const [other] = await dialIn(h, '9', 'q', 1, 'o');
    const browser = callerFor(h, 'browser-1');
    browser.media = { attach: async () => ({ address: '127.0.0.1', port: 1 }), detach: () => undefined };
    delete browser.continueInDialplan;
    void h.manager.handleCaller(browser, ['9', 'q']);
    await h.clock.advance(1000);
    const media = h.app.last;
    const id = idOf(h, '9', 'browser-1');
    let answered = false;
    void h.manager.kick('9', id).then(() => (answered = true));
    await settle();
    expect(answered).to.equal(true);
    expect(media.talk.get(id), 'its voice is out of the mix').to.equal(false);
    expect(media.promptsTo(id)).to.deep.equal(['sound:conf-kicked']);
    expect(browser.played).to.deep.equal([]);
    await h.clock.advance(KICKED_MS);
    expect(media.members.has(id)).to.equal(false);
    expect(browser.hungUp).to.equal(true);
    expect(other!.hungUp).to.equal(false);
  });

  it('when the leader leaves, 20 x callers are let go together: the last within 3 s', async () => {
    const h = harness({}, [], { timedPrompts: true });
    const [leader] = await dialIn(h, '9', 'Aq', 1, 'lead');
    const followers = await dialIn(h, '9', 'xq', 20, 'x');
    const media = h.app.last;
    const ids = followers.map((c) => idOf(h, '9', c.channelId));
    const t0 = h.clock.now();
    leader!.leave();
    await settle();
    expect(
      ids.filter((id) => media.members.has(id)),
      'still in the mix',
    ).to.deep.equal([]);
    const hungUp = await timesUntil(h, ids, (id) => followers[ids.indexOf(id)]!.hungUp, t0);
    expect(Math.max(...hungUp)).to.be.at.most(3000);
    expect(followers.every((c) => c.played.includes('sound:conf-leaderhasleft'))).to.equal(true);
  });
});
