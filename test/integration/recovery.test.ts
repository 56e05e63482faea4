import { expect } from 'chai';
import { MeetmeApp } from '../../src/app/App';
import type { SimCaller } from '../double';
import { nextApp, startApp, waitFor, type Running } from '../support/appHarness';

const config = { mixer: { default: 'asterisk' as const }, conferences: [{ number: '500', name: 'Open', options: 'q' }] };

const participants = (app: MeetmeApp, number: string): number => {
  try {
    return app.manager.get(number).participants.length;
  } catch {
    return 0;
  }
};

describe('after an app restart, against the ARI double', function () {
  this.timeout(30000);
  let r: Running;
  let second: MeetmeApp | undefined;
  afterEach(async () => {
    await second?.stop();
    second = undefined;
    await r?.stop();
  });

  it('lets adopted callers go when they leave: later reconciles count only who left meanwhile', async () => {
    r = await startApp(config);
    const callers: SimCaller[] = [0, 1, 2].map((i) => r.ast.dial({ exten: '500', callerId: `C${i} <10${i}>` }));
    await waitFor(() => r.ast.bridges().find((b) => b.name === 'meetme-conf:500')?.channels.length === 3, 5000, 'three bridged');
    await r.app.ari.close();
    const next = nextApp(r, config);
    second = next.app;
    const app = second;
    await app.start();
    await waitFor(() => app.ready && participants(app, '500') === 3, 10000, 'adopted');
    const reconciles = (): number[] =>
      next
        .logs()
        .filter((l) => l.msg === 'reconciled with Asterisk after reconnect')
        .map((l) => l.callersGone as number);
    const reconnect = async (whileDown: () => Promise<void> = async () => undefined): Promise<number> => {
      const before = reconciles().length;
      r.ast.dropEventSockets();
      await waitFor(() => !app.ari.connected, 3000, 'disconnected');
      await whileDown();
      await waitFor(() => reconciles().length === before + 1, 8000, 'reconciled');
      return reconciles()[before]!;
    };
    expect(await reconnect(), 'nobody left').to.equal(0);
    expect(await reconnect(), 'nobody left, again').to.equal(0);
    expect(await reconnect(() => callers[0]!.hangup()), 'one left while the socket was down').to.equal(1);
    await waitFor(() => participants(app, '500') === 2, 5000, 'the one who left let go');
    // The other two leave while connected: their sessions end with them.
    await callers[1]!.hangup();
    await callers[2]!.hangup();
    await waitFor(() => app.manager.list().length === 0, 5000, 'conference over');
    expect(await reconnect(), 'nobody left since').to.equal(0);
    void r.app.stop();
  });
});
