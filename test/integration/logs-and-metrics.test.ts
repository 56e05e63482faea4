import { expect } from 'chai';
import type { SimCaller } from '../double';
import { startApp, waitFor, type Running } from '../support/appHarness';

const legBridge = (r: Running, caller: SimCaller) =>
  r.ast.bridges().find((b) => b.name.startsWith('meetme-leg:') && b.channels.includes(caller.channelId));

describe('what the app says about joins and leaves, against the ARI double', function () {
  this.timeout(30000);
  let r: Running;
  afterEach(async () => r?.stop());

  it('logs one info line per join and per leave, with conference, channel, participant and role', async () => {
    r = await startApp({
      mixer: { default: 'asterisk' },
      conferences: [{ number: '1234', name: 'Sync', pin: '42', adminPin: '99', options: '' }],
    });
    const admin = r.ast.dial({ exten: '1234', callerId: 'Ann <1001>' });
    await waitFor(() => admin.playbacks().includes('sound:conf-getpin'), 5000, 'PIN prompt');
    await admin.sendDtmf('99#');
    const user = r.ast.dial({ exten: '1234' });
    await waitFor(() => user.playbacks().includes('sound:conf-getpin'), 5000, 'PIN prompt');
    await user.sendDtmf('42#');
    await waitFor(() => r.logs().filter((l) => l.msg === 'participant joined').length === 2, 5000, 'two joined');
    await user.hangup();
    await waitFor(() => r.logs().some((l) => l.msg === 'participant left'), 5000, 'one left');
    const ids = Object.fromEntries(r.app.manager.get('1234').participants.map((p) => [p.channelId, p.id]));
    const joins = r.logs().filter((l) => l.msg === 'participant joined');
    expect(joins.map((l) => [l.level, l.conference, l.channel, l.role])).to.deep.equal([
      [30, '1234', admin.channelId, 'admin'],
      [30, '1234', user.channelId, 'user'],
    ]);
    expect(joins[0]!.participant).to.equal(ids[admin.channelId]);
    const left = r.logs().filter((l) => l.msg === 'participant left');
    expect(left.map((l) => [l.level, l.conference, l.channel, l.role, l.reason])).to.deep.equal([
      [30, '1234', user.channelId, 'user', 'hangup'],
    ]);
    expect(left[0]!.participant).to.equal(joins[1]!.participant);
  });

  it('measures StasisStart to "in the mix" as meetme_join_seconds', async () => {
    r = await startApp({ mixer: { default: 'asterisk' }, conferences: [{ number: '1234', name: 'Sync', pin: '42', options: '' }] });
    const alice = r.ast.dial({ exten: '1234' });
    await waitFor(() => alice.playbacks().includes('sound:conf-getpin'), 5000, 'PIN prompt');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await alice.sendDtmf('42#');
    await waitFor(() => r.ast.bridges()[0]?.channels.length === 1, 5000, 'in the bridge');
    const text = await r.app.metrics.render();
    expect(text).to.match(/^# TYPE meetme_join_seconds histogram$/m);
    expect(Number(/^meetme_join_seconds_count (\S+)$/m.exec(text)?.[1])).to.equal(1);
    // The PIN prompt started, the caller waited 0.3 s and typed three digits: the join took at least that long.
    expect(Number(/^meetme_join_seconds_sum (\S+)$/m.exec(text)?.[1])).to.be.greaterThan(0.3);
  });

  it('says nothing is wrong when the last callers of an app-mixed conference hang up together', async () => {
    r = await startApp({ mixer: { default: 'app' }, conferences: [{ number: '800', name: 'T', options: '1' }] }, { timing: false });
    const callers = [0, 1, 2].map((i) => r.ast.dial({ exten: '800', callerId: `C${i} <10${i}>` }));
    await waitFor(() => callers.every((c) => legBridge(r, c)?.channels.length === 2), 8000, 'all paired with externalMedia');
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const c of callers) await c.hangup();
    await waitFor(() => r.app.manager.list().length === 0, 5000, 'conference over');
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The timing warning is the double's (no res_timing_* module), and expected.
    const warnings = r.logs().filter((l) => (l.level as number) >= 40 && !String(l.msg).includes('res_timing_'));
    expect(warnings.map((l) => l.msg)).to.deep.equal([]);
  });
});
