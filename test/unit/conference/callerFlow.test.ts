import { expect } from 'chai';
import { FakeCaller, harness, settle } from './fakes';

describe('caller flow', () => {
  it('answers, asks for the number when none was dialled, retries an unknown one, and joins', async () => {
    const h = harness({ dynamic: { enabled: false, options: '' } }, [{ number: '1234', name: 'Sync', options: '' }]);
    const caller = new FakeCaller('c1', ['999', '1234']);
    const done = h.manager.handleCaller(caller, []);
    await settle();
    expect(caller.answered).to.equal(true);
    expect(caller.prompted).to.deep.equal(['sound:conf-getconfno', 'sound:conf-getconfno']);
    expect(caller.heard).to.deep.equal(['sound:conf-invalid', 'sound:conf-onlyperson']);
    expect(h.manager.get('1234').participants).to.have.length(1);
    caller.leave();
    await done;
    expect(h.manager.list()).to.deep.equal([]);
  });

  it('hangs up after the last try at the conference number', async () => {
    const h = harness({ dynamic: { enabled: false, options: '' } });
    const caller = new FakeCaller('c1', ['1', '2', '3']);
    await h.manager.handleCaller(caller, []);
    expect(caller.prompted).to.have.length(3);
    expect(caller.hungUp).to.equal(true);
    expect(h.app.opened).to.have.length(0);
  });

  it('creates a dynamic conference on first join', async () => {
    const h = harness();
    const caller = new FakeCaller('c1');
    void h.manager.handleCaller(caller, ['555']);
    await settle();
    expect(h.manager.get('555').participants[0]).to.include({ channelId: 'c1', role: 'user', muted: false });
    expect(h.events.map((e) => e.type)).to.deep.equal(['conference.started', 'participant.joined']);
  });

  describe('PIN', () => {
    const defs = [{ number: '1234', name: 'Sync', pin: '42', adminPin: '99', options: '' }];

    it('gives three tries with conf-invalidpin, then hangs up', async () => {
      const h = harness({}, defs);
      const caller = new FakeCaller('c1', ['1', '2', '3']);
      await h.manager.handleCaller(caller, ['1234']);
      expect(caller.prompted).to.deep.equal(['sound:conf-getpin', 'sound:conf-getpin', 'sound:conf-getpin']);
      expect(caller.played).to.deep.equal(['sound:conf-invalidpin', 'sound:conf-invalidpin', 'sound:conf-invalidpin']);
      expect(caller.hungUp).to.equal(true);
      expect(h.app.opened).to.have.length(0);
    });

    it('lets the right PIN in as a user after a miss', async () => {
      const h = harness({}, defs);
      const caller = new FakeCaller('c1', ['7', '42']);
      void h.manager.handleCaller(caller, ['1234']);
      await settle();
      expect(h.manager.get('1234').participants[0]!.role).to.equal('user');
    });

    it('makes the admin PIN an admin, who gets into a locked conference', async () => {
      const h = harness({}, defs);
      void h.manager.handleCaller(new FakeCaller('c1', ['42']), ['1234']);
      await settle();
      await h.manager.setLocked('1234', true);
      const locked = new FakeCaller('c2', ['42']);
      await h.manager.handleCaller(locked, ['1234']);
      expect(locked.played).to.include('sound:conf-locked');
      expect(locked.hungUp).to.equal(true);
      const admin = new FakeCaller('c3', ['99']);
      void h.manager.handleCaller(admin, ['1234']);
      await settle();
      expect(h.manager.get('1234').participants.map((p) => p.role)).to.deep.equal(['user', 'admin']);
    });

    it('stops at once when the caller hangs up during the PIN prompt, leaving nothing behind', async () => {
      const h = harness({}, defs);
      const caller = new FakeCaller('c1');
      caller.hangupOn = 'sound:conf-getpin';
      await h.manager.handleCaller(caller, ['1234']);
      expect(h.app.opened).to.have.length(0);
      expect(h.clock.pending()).to.equal(0);
      expect(h.manager.list()).to.deep.equal([]);
    });
  });

  it('refuses callers beyond maxMembers with conf-locked', async () => {
    const h = harness({}, [{ number: '1', name: 'Small', options: '', maxMembers: 1 }]);
    void h.manager.handleCaller(new FakeCaller('a'), ['1']);
    await settle();
    const late = new FakeCaller('b');
    await h.manager.handleCaller(late, ['1']);
    expect(late.played).to.deep.equal(['sound:conf-locked']);
    expect(h.manager.get('1').participants).to.have.length(1);
  });

  describe('announcements', () => {
    it('announces the count with c, and conf-onlyperson when alone', async () => {
      const h = harness({}, [{ number: '7', name: 'Count', options: 'c' }]);
      const first = new FakeCaller('a');
      void h.manager.handleCaller(first, ['7']);
      await settle();
      expect(first.heard).to.deep.equal(['sound:conf-onlyperson']);
      void h.manager.handleCaller(new FakeCaller('b'), ['7']);
      await settle();
      const third = new FakeCaller('c');
      void h.manager.handleCaller(third, ['7']);
      await settle();
      expect(third.heard).to.deep.equal(['sound:conf-thereare', 'number:2', 'sound:conf-otherinparty']);
    });

    it('skips conf-onlyperson with option 1, and plays nothing with q', async () => {
      const h = harness();
      const one = new FakeCaller('a');
      void h.manager.handleCaller(one, ['7', '1']);
      const quiet = new FakeCaller('b');
      void h.manager.handleCaller(quiet, ['8', 'q']);
      await settle();
      expect(one.heard).to.deep.equal([]);
      expect(quiet.heard).to.deep.equal([]);
    });

    it('beeps to the conference on join and leave unless quiet', async () => {
      const h = harness();
      void h.manager.handleCaller(new FakeCaller('a'), ['7']);
      await settle();
      const b = new FakeCaller('b');
      void h.manager.handleCaller(b, ['7']);
      await settle();
      expect(h.app.last.toAll).to.deep.equal([['sound:beep']]);
      b.leave();
      await settle();
      expect(h.app.last.toAll).to.deep.equal([['sound:beep'], ['sound:beep']]);
      void h.manager.handleCaller(new FakeCaller('q'), ['7', 'q']);
      await settle();
      expect(h.app.last.toAll).to.have.length(2);
    });
  });

  it('plays music to a lone participant with M, and stops it when someone joins', async () => {
    const h = harness();
    const a = new FakeCaller('a');
    void h.manager.handleCaller(a, ['7', 'M']);
    await settle();
    const media = h.app.last;
    const aId = h.manager.get('7').participants[0]!.id;
    expect([...media.music]).to.deep.equal([aId]);
    const b = new FakeCaller('b');
    void h.manager.handleCaller(b, ['7', 'M']);
    await settle();
    expect(media.music.size).to.equal(0);
    b.leave();
    await settle();
    expect([...media.music]).to.deep.equal([aId]);
  });

  it('waits for the leader with w, then places the caller into the conference', async () => {
    const h = harness();
    const waiter = new FakeCaller('w');
    void h.manager.handleCaller(waiter, ['9', 'w']);
    await settle();
    const media = h.app.last;
    const wId = h.manager.get('9').participants[0]!.id;
    expect(media.music.has(wId)).to.equal(true);
    expect(media.talk.get(wId)).to.equal(false);
    expect(media.promptsTo(wId)).to.deep.equal(['sound:conf-waitforleader']);
    expect(h.manager.get('9').participants[0]!.muted).to.equal(true);
    void h.manager.handleCaller(new FakeCaller('leader'), ['9', 'A']);
    await settle();
    expect(media.music.has(wId)).to.equal(false);
    expect(media.talk.get(wId)).to.equal(true);
    expect(media.promptsTo(wId)).to.deep.equal(['sound:conf-waitforleader', 'sound:conf-placeintoconf']);
  });

  it('removes the x participants when the last marked user leaves', async () => {
    const h = harness();
    const leader = new FakeCaller('leader');
    void h.manager.handleCaller(leader, ['9', 'A']);
    const follower = new FakeCaller('f');
    void h.manager.handleCaller(follower, ['9', 'x']);
    const stayer = new FakeCaller('s');
    void h.manager.handleCaller(stayer, ['9']);
    await settle();
    const media = h.app.last;
    const fId = h.manager.get('9').participants.find((p) => p.channelId === 'f')!.id;
    leader.leave();
    await settle();
    expect(follower.hungUp).to.equal(true);
    // Out of the mix first, then the prompt on the follower's own channel.
    expect(media.members.has(fId)).to.equal(false);
    expect(follower.played).to.deep.equal(['sound:conf-leaderhasleft']);
    expect(h.manager.get('9').participants.map((p) => p.channelId)).to.deep.equal(['s']);
  });

  it('closes the conference when one participant is left after a k participant exits', async () => {
    const h = harness();
    const k = new FakeCaller('k');
    void h.manager.handleCaller(k, ['9', 'k']);
    const other = new FakeCaller('o');
    void h.manager.handleCaller(other, ['9']);
    await settle();
    k.leave();
    await settle();
    expect(other.continued, 'the one left goes on in the dialplan, as app_meetme lets them').to.deep.equal({});
    expect(other.hungUp).to.equal(false);
    expect(h.manager.list()).to.deep.equal([]);
    expect(h.app.last.closed).to.equal(1);
  });

  it('starts muted with m, listen-only with l (no unmute), talk-only with t', async () => {
    const h = harness();
    void h.manager.handleCaller(new FakeCaller('m'), ['5', 'm']);
    void h.manager.handleCaller(new FakeCaller('l'), ['5', 'l']);
    void h.manager.handleCaller(new FakeCaller('t'), ['5', 't']);
    await settle();
    const media = h.app.last;
    const [m, l, t] = h.manager.get('5').participants;
    expect(media.talk.get(m!.id)).to.equal(false);
    expect(media.talk.get(l!.id)).to.equal(false);
    expect(media.listen.get(t!.id)).to.equal(false);
    expect(media.talk.has(t!.id)).to.equal(false);
    await h.manager.setMuted('5', m!.id, false);
    expect(media.talk.get(m!.id)).to.equal(true);
    const error = await h.manager.setMuted('5', l!.id, false).catch((e: unknown) => e);
    expect(error).to.include({ code: 'listen_only' });
  });

  it('records from the start with r', async () => {
    const h = harness();
    void h.manager.handleCaller(new FakeCaller('a'), ['5', 'r']);
    await settle();
    expect(h.app.last.recording).to.match(/^meetme-5-20261123-1000/);
    expect(h.manager.get('5').recording).to.equal(h.app.last.recording);
  });

  it('cleans up when the caller hangs up during the count announcement', async () => {
    const h = harness();
    const caller = new FakeCaller('a');
    caller.hangupOn = 'sound:conf-onlyperson';
    await h.manager.handleCaller(caller, ['5']);
    expect(h.manager.list()).to.deep.equal([]);
    expect(h.app.last.members.size).to.equal(0);
    expect(h.app.last.closed).to.equal(1);
    expect(h.clock.pending()).to.equal(0);
  });

  it('removes a participant exactly once when they hang up in the conference', async () => {
    const h = harness();
    const caller = new FakeCaller('a');
    const done = h.manager.handleCaller(caller, ['5']);
    await settle();
    caller.leave();
    await done;
    const removes = h.app.last.calls.filter((c) => c.op === 'remove');
    expect(removes).to.have.length(1);
    expect(h.events.map((e) => e.type)).to.deep.equal(['conference.started', 'participant.joined', 'participant.left', 'conference.ended']);
  });

  it('hangs up and ends the conference when the media cannot take the caller', async () => {
    const h = harness();
    h.app.failAdd = true;
    const caller = new FakeCaller('a');
    await h.manager.handleCaller(caller, ['5']);
    expect(caller.hungUp).to.equal(true);
    expect(h.manager.list()).to.deep.equal([]);
    expect(h.app.last.closed).to.equal(1);
  });

  it('uses the other mixer when the chosen one cannot mix, naming the fix', async () => {
    const h = harness({}, [{ number: '3', name: 'A', options: '', mixer: 'asterisk' }]);
    h.asterisk.reason = 'load res_timing_timerfd';
    void h.manager.handleCaller(new FakeCaller('a'), ['3']);
    await settle();
    expect(h.manager.get('3').mixer).to.equal('app');
  });

  it('refuses callers when no mixer can mix', async () => {
    const h = harness({ backends: {} });
    const caller = new FakeCaller('a');
    await h.manager.handleCaller(caller, ['3']);
    expect(caller.hungUp).to.equal(true);
    expect(h.manager.list()).to.deep.equal([]);
  });

  it('refuses new callers while draining, with a prompt', async () => {
    const h = harness();
    h.manager.drain();
    const caller = new FakeCaller('a');
    await h.manager.handleCaller(caller, ['3']);
    expect(caller.played).to.deep.equal(['sound:conf-locked']);
    expect(caller.hungUp).to.equal(true);
  });

  it('ignores options it cannot read and still lets the caller in', async () => {
    const h = harness();
    void h.manager.handleCaller(new FakeCaller('a'), ['3', 'Z!']);
    await settle();
    expect(h.manager.get('3').participants).to.have.length(1);
  });
});

describe('caller flow: e and D', () => {
  it('with e and no number, takes the first defined conference nobody is in and says its number', async () => {
    const h = harness({}, [
      { number: '10', name: 'A', options: '' },
      { number: '11', name: 'B', options: '' },
    ]);
    void h.manager.handleCaller(new FakeCaller('a'), ['10']);
    await settle();
    const caller = new FakeCaller('b');
    void h.manager.handleCaller(caller, ['', 'e']);
    await settle();
    expect(caller.played.slice(0, 2)).to.deep.equal(['sound:conf-enteringno', 'digits:11']);
    expect(h.manager.get('11').participants).to.have.length(1);
  });

  it('with D, the first caller chooses the PIN and later callers must give it', async () => {
    const h = harness({ dynamic: { enabled: false, options: '' } });
    const first = new FakeCaller('a', ['555']);
    void h.manager.handleCaller(first, ['77', 'D']);
    await settle();
    expect(first.prompted).to.deep.equal(['sound:conf-getpin']);
    const wrong = new FakeCaller('b', ['1', '2', '3']);
    await h.manager.handleCaller(wrong, ['77', 'D']);
    expect(wrong.hungUp).to.equal(true);
    const right = new FakeCaller('c', ['555']);
    void h.manager.handleCaller(right, ['77', 'D']);
    await settle();
    expect(h.manager.get('77').participants.map((p) => p.channelId)).to.deep.equal(['a', 'c']);
  });
});
