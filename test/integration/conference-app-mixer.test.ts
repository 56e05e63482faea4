import { expect } from 'chai';
import { SSRC_PROBATION } from '../../src/media/RtpSource';
import type { SimCaller } from '../double';
import { goertzelDb } from '../support/audio';
import { startApp, waitFor, type Running } from '../support/appHarness';

const TONES = [440, 880, 1200] as const;

function levels(caller: SimCaller): Record<number, number> {
  const heard = caller.heard();
  const tail = heard.subarray(Math.max(0, heard.length - 8000));
  return Object.fromEntries(TONES.map((hz) => [hz, goertzelDb(tail, hz)]));
}

const legBridge = (r: Running, caller: SimCaller) =>
  r.ast.bridges().find((b) => b.name.startsWith('meetme-leg:') && b.channels.includes(caller.channelId));

describe('conferences mixed by the app itself, against the ARI double with no timing module', function () {
  this.timeout(30000);
  let r: Running;
  afterEach(async () => r?.stop());

  async function threeCallers(): Promise<SimCaller[]> {
    r = await startApp(
      { mixer: { default: 'app' }, conferences: [{ number: '800', name: 'Tones', options: 'q' }] },
      { timing: false, speed: 20 },
    );
    const callers = TONES.map((hz, i) => r.ast.dial({ exten: '800', callerId: `C${i} <10${i}>`, toneHz: hz }));
    await waitFor(() => callers.every((c) => legBridge(r, c)?.channels.length === 2), 8000, 'all paired with externalMedia');
    return callers;
  }

  it('each caller hears the other two and not themselves, by at least 20 dB', async () => {
    const callers = await threeCallers();
    for (const c of callers) c.clearHeard();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    callers.forEach((caller, i) => {
      const db = levels(caller);
      const own = TONES[i]!;
      for (const hz of TONES)
        if (hz !== own) expect(db[hz]! - db[own]!, `caller ${i} hears ${hz} over its own ${own}`).to.be.greaterThan(20);
    });
    expect(r.app.manager.get('800').mixer).to.equal('app');
    const stats = r.app.engine.stats();
    expect(stats.packetsIn).to.be.greaterThan(100);
    expect(stats.foreign).to.equal(0);
  });

  it('mute takes the caller out of the mix within a few ticks, and talker events come from the engine', async () => {
    const callers = await threeCallers();
    await waitFor(() => r.app.manager.get('800').participants.every((p) => p.talking), 5000, 'all talking');
    const [a, b] = callers;
    const aId = r.app.manager.get('800').participants.find((p) => p.channelId === a!.channelId)!.id;
    await r.app.manager.setMuted('800', aId, true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    b!.clearHeard();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const db = levels(b!);
    expect(db[440]! - db[1200]!, 'muted 440 Hz is gone from what b hears').to.be.lessThan(-20);
    a!.setTone(null);
    await waitFor(() => !r.app.manager.get('800').participants.find((p) => p.id === aId)!.talking, 5000, 'talking stopped');
  });

  it('tears down both channels and the leg bridge when a caller hangs up, and keeps mixing for the rest', async () => {
    const callers = await threeCallers();
    const bridge = legBridge(r, callers[0]!)!;
    const media = bridge.channels.find((id) => id !== callers[0]!.channelId)!;
    await callers[0]!.hangup();
    await waitFor(() => !r.ast.bridge(bridge.id) && !r.ast.channel(media), 5000, 'leg torn down');
    expect(r.app.manager.get('800').participants).to.have.length(2);
    callers[1]!.clearHeard();
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(levels(callers[1]!)[1200]).to.be.greaterThan(-40);
    // The last two leave: the conference ends and its media thread holds nothing of it.
    await callers[1]!.hangup();
    await callers[2]!.hangup();
    await waitFor(
      () => r.app.engine.stats().rooms === 0 && r.app.engine.stats().legs === 0,
      5000,
      'room and legs gone from the media thread',
    );
    expect(r.ast.bridges()).to.have.length(0);
  });

  it('keeps hearing a caller whose media source changes (a re-INVITE: a new SSRC), after its probation', async () => {
    const callers = await threeCallers();
    const bridge = legBridge(r, callers[0]!)!;
    const media = r.ast.channel(bridge.channels.find((id) => id !== callers[0]!.channelId)!)!.media!;
    await new Promise((resolve) => setTimeout(resolve, 300));
    media.changeSource();
    await waitFor(() => r.app.engine.stats().foreign >= SSRC_PROBATION - 1, 3000, 'the new SSRC on probation');
    callers[1]!.clearHeard();
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(levels(callers[1]!)[440], 'caller 0 heard with the new SSRC').to.be.greaterThan(-40);
    expect(r.app.engine.stats().foreign, 'only the probation was dropped').to.equal(SSRC_PROBATION - 1);
  });

  it('counts and drops packets from foreign senders and garbage, and the mix goes on', async () => {
    const callers = await threeCallers();
    const { createSocket } = await import('node:dgram');
    const socket = createSocket('udp4');
    // Every media thread's port: each counts what it drops, the totals add up.
    const ports = r.app.engine.ports;
    for (const port of ports) {
      for (let i = 0; i < 50; i++)
        socket.send(Buffer.from([0x80, 0, 0, i, 0, 0, 0, 0, 1, 2, 3, 4, ...new Array<number>(160).fill(0x55)]), port, '127.0.0.1');
    }
    await waitFor(() => r.app.engine.stats().foreign >= 50 * ports.length, 3000, 'foreign packets counted on every thread');
    socket.close();
    callers[0]!.clearHeard();
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(levels(callers[0]!)[880]).to.be.greaterThan(-40);
  });
});
