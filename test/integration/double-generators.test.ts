import { expect } from 'chai';
import type { Socket } from 'node:dgram';
import { AsteriskDouble } from '../double';
import { MUSIC_HZ } from '../double/SimCaller';
import { goertzelDb } from '../support/audio';
import { listeningPeer, toneFrame } from '../support/rtpPeer';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function concat(chunks: Int16Array[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * What a real Asterisk with no `res_timing_*` module does with generated audio (FINDINGS "Generators need
 * a timer when no media comes in"): Playtones and music on hold make nothing while no frame comes in;
 * frames that arrive drive them, and Echo() sends every frame back. With a timer, generators run alone.
 */
describe('the double: generators and echo with and without a timer', function () {
  this.timeout(15000);
  let ast: AsteriskDouble;
  let peer: Socket;
  let heard: Int16Array[];
  const opened: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of opened.splice(0)) await close();
  });

  /** `endpoint` (or a dialled phone) and an externalMedia channel to our socket, alone in a bridge. */
  async function pair(timing: boolean, caller: { endpoint: string } | { sendsRtp: boolean }): Promise<{ port: number; callerId: string }> {
    ast = await AsteriskDouble.start({ timing });
    heard = [];
    peer = await listeningPeer(heard);
    const [double, socket] = [ast, peer];
    opened.push(async () => {
      socket.close();
      await double.stop();
    });
    const base = `${ast.url}/ari`;
    const auth = { authorization: `Basic ${Buffer.from('asterisk:asterisk').toString('base64')}` };
    const post = async (path: string) => {
      const response = await fetch(`${base}${path}`, { method: 'POST', headers: auth });
      return (await response.json().catch(() => ({}))) as Record<string, unknown>;
    };
    const callerId =
      'endpoint' in caller
        ? String((await post(`/channels?endpoint=${encodeURIComponent(caller.endpoint)}&app=t`)).id)
        : ast.dial({ exten: '800', app: 't', sendsRtp: caller.sendsRtp }).channelId;
    await sleep(50);
    const media = await post(`/channels/externalMedia?app=t&format=ulaw&external_host=127.0.0.1:${peer.address().port}`);
    await post('/bridges/b1?type=mixing,dtmf_events');
    await post(`/bridges/b1/addChannel?channel=${callerId},${String(media.id)}`);
    const vars = media.channelvars as Record<string, string>;
    return { port: Number(vars.UNICASTRTP_LOCAL_PORT), callerId };
  }

  async function send(port: number, hz: number, packets: number): Promise<void> {
    for (let seq = 0; seq < packets; seq++) {
      peer.send(toneFrame(hz, seq, 1234), port, '127.0.0.1');
      await sleep(20);
    }
  }

  it('Playtones sends nothing with no timer until frames come in, then one frame for each', async () => {
    const { port } = await pair(false, { endpoint: 'Local/tone440@test-callers' });
    await sleep(500);
    expect(heard, 'no frames in, no tone out').to.have.length(0);
    await send(port, 1000, 25);
    await sleep(100);
    expect(heard.length).to.be.within(23, 26);
    expect(goertzelDb(concat(heard), 440)).to.be.greaterThan(-30);
  });

  it('Playtones runs on its own with a timer', async () => {
    await pair(true, { endpoint: 'Local/tone440@test-callers' });
    await sleep(500);
    expect(heard.length).to.be.within(20, 27);
  });

  it('Echo() sends back every frame it gets, with no timer', async () => {
    const { port } = await pair(false, { endpoint: 'Local/echo@meetme-selftest/n' });
    await sleep(200);
    expect(heard).to.have.length(0);
    await send(port, 1004, 25);
    await sleep(100);
    expect(heard.length).to.be.within(23, 26);
    expect(goertzelDb(concat(heard), 1004)).to.be.greaterThan(-30);
  });

  it('music on hold: nothing for a silent phone with no timer, music for one that sends RTP or with a timer', async () => {
    const cases: [boolean, boolean, boolean][] = [
      [false, false, false],
      [false, true, true],
      [true, false, true],
    ];
    for (const [timing, sendsRtp, music] of cases) {
      const { callerId } = await pair(timing, { sendsRtp });
      await fetch(`${ast.url}/ari/channels/${callerId}/moh`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from('asterisk:asterisk').toString('base64')}` },
      });
      await sleep(400);
      const sim = ast.channel(callerId)!.sim!;
      if (music) {
        expect(sim.musicFrames, `timing ${timing}, phone sends RTP ${sendsRtp}`).to.be.greaterThan(10);
        expect(goertzelDb(sim.heard(), MUSIC_HZ)).to.be.greaterThan(-30);
      } else expect(sim.musicFrames, 'a silent phone with no timer hears no music').to.equal(0);
    }
  });
});
