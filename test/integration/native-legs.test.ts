import { expect } from 'chai';
import type { SimCaller } from '../double';
import { goertzelDb } from '../support/audio';
import { startApp, waitFor, type Running } from '../support/appHarness';

const legBridge = (r: Running, caller: SimCaller) =>
  r.ast.bridges().find((b) => b.name.startsWith('meetme-leg:') && b.channels.includes(caller.channelId));
const legChannel = (r: Running, caller: SimCaller) => {
  const bridge = legBridge(r, caller);
  const id = bridge?.channels.find((c) => c !== caller.channelId);
  return id ? r.ast.channel(id) : undefined;
};
const participant = (r: Running, caller: SimCaller) => r.app.manager.get('800').participants.find((p) => p.channelId === caller.channelId);

describe('app mixer legs as SIP calls (native_rtp), against the ARI double', function () {
  this.timeout(30000);
  let r: Running;
  afterEach(async () => r?.stop());

  async function start(options: { sipEndpoint?: boolean; directMedia?: boolean } = {}): Promise<SimCaller[]> {
    r = await startApp(
      { mixer: { default: 'app' }, conferences: [{ number: '800', name: 'Tones', options: 'q' }] },
      { timing: false, speed: 20 },
    );
    // direct_media=yes on the media endpoint and on the phones' (c0, c1): legs are remotely bridged.
    if (options.directMedia) for (const endpoint of ['meetme-media', 'c0', 'c1']) r.ast.asterisk.directMedia.add(endpoint);
    if (options.sipEndpoint === false) {
      r.ast.asterisk.sipEndpoints.clear();
      // The app reads the endpoint at connect: a reconnect makes it look again.
      const reconnected = new Promise<void>((resolve) => r.app.ari.events.once('connected', () => resolve()));
      r.ast.dropEventSockets();
      await reconnected;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const callers = [440, 880].map((hz, i) => r.ast.dial({ exten: '800', callerId: `C${i} <10${i}>`, toneHz: hz }));
    await waitFor(() => callers.every((c) => legBridge(r, c)?.channels.length === 2), 8000, 'all paired with a leg');
    return callers;
  }

  it('pairs a PJSIP caller with a SIP leg in a native_rtp bridge, and the mix goes through it', async () => {
    const [a, b] = await start();
    await waitFor(() => legBridge(r, a!)?.technology === 'native_rtp', 3000, 'native_rtp');
    expect(legChannel(r, a!)?.name).to.match(/^PJSIP\/meetme-media-/);
    b!.clearHeard();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const heard = b!.heard();
    expect(goertzelDb(heard.subarray(Math.max(0, heard.length - 4000)), 440), 'b hears a').to.be.greaterThan(-40);
    expect(r.app.engine.stats().foreign).to.equal(0);
  });

  it('still takes menu digits from a caller in a native_rtp bridge (*1 mutes)', async () => {
    const [a] = await start();
    await waitFor(() => legBridge(r, a!)?.technology === 'native_rtp', 3000, 'native_rtp');
    expect(participant(r, a!)?.muted).to.equal(false);
    await a!.sendDtmf('*1');
    await waitFor(() => participant(r, a!)?.muted === true, 3000, 'muted by *1');
  });

  it('with direct media follows the re-INVITE to the phone and reads its menu digits from RTP (*1 mutes)', async () => {
    const [a, b] = await start({ directMedia: true });
    await waitFor(() => legBridge(r, a!)?.technology === 'native_rtp' && r.ast.channel(a!.channelId)?.direct === true, 3000, 'direct');
    const leg = legChannel(r, a!)!;
    // The phone's RTP now comes from its own address: what the app answered first would call it foreign.
    await waitFor(() => leg.media?.port !== undefined && r.ast.channel(a!.channelId)?.direct === true, 3000, 'moved');
    await new Promise((resolve) => setTimeout(resolve, 300));
    b!.clearHeard();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const heard = b!.heard();
    expect(goertzelDb(heard.subarray(Math.max(0, heard.length - 4000)), 440), 'b hears a after the move').to.be.greaterThan(-40);
    let dtmfEvents = 0;
    const emit = r.ast.asterisk.emitChannel.bind(r.ast.asterisk);
    r.ast.asterisk.emitChannel = (c, type, fields) => {
      if (type === 'ChannelDtmfReceived') dtmfEvents++;
      emit(c, type, fields);
    };
    await a!.sendDtmf('*1');
    await waitFor(() => participant(r, a!)?.muted === true, 3000, 'muted by *1 from RFC 4733');
    // Asterisk saw none of it: the digits came from the phone's RTP, each once (*1 again unmutes).
    await a!.sendDtmf('*1');
    await waitFor(() => participant(r, a!)?.muted === false, 3000, 'unmuted by the second *1');
    expect(dtmfEvents).to.equal(0);
  });

  it('falls back to externalMedia legs (simple_bridge) when Asterisk has no endpoint for SIP legs', async () => {
    const [a] = await start({ sipEndpoint: false });
    expect(legChannel(r, a!)?.name).to.match(/^UnicastRTP\//);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(legBridge(r, a!)?.technology).to.equal('simple_bridge');
    await a!.sendDtmf('*1');
    await waitFor(() => participant(r, a!)?.muted === true, 3000, 'muted by *1');
  });
});
