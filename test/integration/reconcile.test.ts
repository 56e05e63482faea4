import { expect } from 'chai';
import type { SimCaller } from '../double';
import { startApp, waitFor, type Running } from '../support/appHarness';

const participants = (r: Running, number: string): string[] => {
  try {
    return r.app.manager.get(number).participants.map((p) => p.channelId);
  } catch {
    return [];
  }
};

const legBridge = (r: Running, caller: SimCaller) =>
  r.ast.bridges().find((b) => b.name.startsWith('meetme-leg:') && b.channels.includes(caller.channelId));

/** Drops the events socket, changes Asterisk while no events can reach the app, and waits for the reconcile. */
async function whileDisconnected(r: Running, change: () => void): Promise<number> {
  const reconciled = () => r.logs().filter((l) => l.msg === 'reconciled with Asterisk after reconnect').length;
  const before = reconciled();
  r.ast.dropEventSockets();
  change();
  const mark = r.ast.requests.length;
  await waitFor(() => reconciled() === before + 1, 8000, 'reconciled');
  return mark;
}

describe('reconciling after an events socket drop, against the ARI double', function () {
  this.timeout(30000);
  let r: Running;
  afterEach(async () => r?.stop());

  describe('app mixer', () => {
    async function three(): Promise<SimCaller[]> {
      r = await startApp({ mixer: { default: 'app' }, conferences: [{ number: '800', name: 'T', options: 'q' }] }, { timing: false });
      const callers = [0, 1, 2].map((i) => r.ast.dial({ exten: '800', callerId: `C${i} <10${i}>` }));
      await waitFor(() => callers.every((c) => legBridge(r, c)?.channels.length === 2), 8000, 'all paired with externalMedia');
      return callers;
    }

    it("notices a caller's externalMedia channel that died meanwhile: that caller is let go, the others stay", async () => {
      const [a, b, c] = await three();
      const bridge = legBridge(r, a!)!;
      const mediaId = bridge.channels.find((id) => id !== a!.channelId)!;
      await whileDisconnected(r, () => r.ast.asterisk.hangup(r.ast.channel(mediaId)!, true));
      await waitFor(() => participants(r, '800').length === 2, 5000, 'the broken leg let go');
      expect(participants(r, '800').sort()).to.deep.equal([b!.channelId, c!.channelId].sort());
      await waitFor(() => a!.state === 'gone' && !r.ast.bridge(bridge.id), 5000, 'caller hung up, leg bridge gone');
      const lost = r.logs().find((l) => l.msg === 'participant left' && l.channel === a!.channelId);
      expect(String(lost?.reason)).to.match(/externalMedia channel ended while the events socket was down/);
    });

    it('notices a leg bridge destroyed meanwhile, and does not ask about it again', async () => {
      const [a] = await three();
      const bridge = legBridge(r, a!)!;
      const mark = await whileDisconnected(r, () => r.ast.asterisk.destroyBridge(bridge));
      await waitFor(() => participants(r, '800').length === 2 && a!.state === 'gone', 5000, 'the broken leg let go');
      const askedAgain = r.ast.requests.slice(mark).filter((q) => q.path === `/bridges/${bridge.id}`);
      expect(askedAgain).to.deep.equal([]);
    });

    it('a drop that changed nothing changes nothing', async () => {
      await three();
      await whileDisconnected(r, () => undefined);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(participants(r, '800')).to.have.length(3);
    });
  });

  describe('Asterisk mixer', () => {
    const config = { mixer: { default: 'asterisk' as const }, conferences: [{ number: '500', name: 'Open', options: 'q' }] };

    it('when Asterisk lost everything meanwhile (a restart), the conference ends asking it nothing', async () => {
      r = await startApp(config);
      const callers = [0, 1, 2].map((i) => r.ast.dial({ exten: '500', callerId: `C${i} <10${i}>` }));
      await waitFor(() => r.ast.bridges()[0]?.channels.length === 3, 5000, 'three bridged');
      await waitFor(() => callers.every((c) => c.channel.vars.has('MEETME_PARTICIPANT')), 5000, 'state saved');
      const mark = await whileDisconnected(r, () => {
        for (const c of callers) r.ast.asterisk.hangup(c.channel, false);
        for (const b of r.ast.bridges()) r.ast.asterisk.destroyBridge(b);
      });
      await waitFor(() => r.app.manager.list().length === 0, 5000, 'conference ended');
      await new Promise((resolve) => setTimeout(resolve, 200));
      const asked = r.ast.requests.slice(mark).filter((q) => q.method !== 'GET');
      expect(asked, 'requests other than reading the state back').to.deep.equal([]);
    });

    it('when the conference bridge is destroyed under live callers, they are hung up and not removed from it again', async () => {
      r = await startApp(config);
      const callers = [0, 1].map((i) => r.ast.dial({ exten: '500', callerId: `C${i} <10${i}>` }));
      await waitFor(() => r.ast.bridges()[0]?.channels.length === 2, 5000, 'two bridged');
      const bridge = r.ast.bridges()[0]!;
      const mark = r.ast.requests.length;
      r.ast.asterisk.destroyBridge(bridge);
      await waitFor(() => callers.every((c) => c.state === 'gone'), 5000, 'callers hung up');
      await waitFor(() => r.app.manager.list().length === 0, 5000, 'conference ended');
      const asked = r.ast.requests.slice(mark).filter((q) => q.path.endsWith('/removeChannel'));
      expect(asked).to.deep.equal([]);
    });

    it('when the conference bridge went meanwhile under live callers, they are hung up and the bridge is asked nothing', async () => {
      r = await startApp(config);
      const callers = [0, 1].map((i) => r.ast.dial({ exten: '500', callerId: `C${i} <10${i}>` }));
      await waitFor(() => r.ast.bridges()[0]?.channels.length === 2, 5000, 'two bridged');
      await waitFor(() => callers.every((c) => c.channel.vars.has('MEETME_PARTICIPANT')), 5000, 'state saved');
      const bridge = r.ast.bridges()[0]!;
      const mark = await whileDisconnected(r, () => r.ast.asterisk.destroyBridge(bridge));
      await waitFor(() => callers.every((c) => c.state === 'gone'), 5000, 'callers hung up');
      await waitFor(() => r.app.manager.list().length === 0, 5000, 'conference ended');
      expect(r.ast.requests.slice(mark).filter((q) => q.path.startsWith('/bridges') && q.method !== 'GET')).to.deep.equal([]);
      expect(r.logs().some((l) => l.msg === 'conference media failed')).to.equal(true);
    });

    it('a member who fell out of the bridge meanwhile is let go; the conference goes on', async () => {
      r = await startApp(config);
      const callers = [0, 1, 2].map((i) => r.ast.dial({ exten: '500', callerId: `C${i} <10${i}>` }));
      await waitFor(() => r.ast.bridges()[0]?.channels.length === 3, 5000, 'three bridged');
      const bridge = r.ast.bridges()[0]!;
      await whileDisconnected(r, () => r.ast.asterisk.removeFromBridge(bridge, [callers[0]!.channelId]));
      await waitFor(() => participants(r, '500').length === 2, 5000, 'the one out of the bridge let go');
      await waitFor(() => callers[0]!.state === 'gone', 5000, 'and hung up');
      expect(r.ast.bridge(bridge.id)?.channels).to.have.length(2);
    });
  });
});
