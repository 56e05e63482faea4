import { expect } from 'chai';
import { createSocket, type Socket } from 'node:dgram';
import { silentLogger } from '../../../src/lib/logger';
import { MediaEngine, type MediaLeg } from '../../../src/media';
import { goertzelDb } from '../../support/audio';
import { listeningPeer, toneFrame } from '../../support/rtpPeer';

const TONES = [440, 880, 1200];

/** Three "Asterisk" sockets feeding one room; the test drives the ticks itself. */
async function setup() {
  const engine = new MediaEngine({
    bindAddress: '127.0.0.1',
    port: 0,
    ptimeMs: 20,
    soundsDir: '/nonexistent',
    musicDir: '/nonexistent',
    logger: silentLogger(),
  });
  const { port } = await engine.start();
  const room = engine.createRoom('r');
  const sockets: Socket[] = [];
  const heard: Int16Array[][] = [[], [], []];
  const legs: MediaLeg[] = [];
  for (let i = 0; i < 3; i++) {
    const socket = await listeningPeer(heard[i]!);
    sockets.push(socket);
    const leg = room.addLeg({ participantId: `p${i}`, codec: 'ulaw' });
    leg.setRemote('127.0.0.1', socket.address().port);
    legs.push(leg);
  }
  let seq = 0;
  const settle = () => new Promise((resolve) => setTimeout(resolve, 5));
  /** Each socket sends one 20 ms frame of its tone, then the engine mixes once. */
  const tick = async (): Promise<void> => {
    for (let i = 0; i < 3; i++) {
      sockets[i]!.send(toneFrame(TONES[i]!, seq, i + 1), port, '127.0.0.1');
    }
    seq++;
    await settle();
    engine.tick();
    await settle();
  };
  const lastFrame = (i: number) => heard[i]![heard[i]!.length - 1]!;
  const close = async () => {
    sockets.forEach((s) => s.close());
    await engine.close();
  };
  return { engine, room, legs, tick, lastFrame, heard, close };
}

describe('MediaEngine, tick by tick', () => {
  it('mixes N-1: each leg hears the other two tones and not its own', async () => {
    const t = await setup();
    for (let i = 0; i < 10; i++) await t.tick();
    for (let i = 0; i < 3; i++) {
      const frame = t.lastFrame(i);
      for (const hz of TONES) {
        if (hz === TONES[i]) continue;
        expect(goertzelDb(frame, hz) - goertzelDb(frame, TONES[i]!), `leg ${i}: ${hz} over own`).to.be.greaterThan(20);
      }
    }
    await t.close();
  });

  it('mute, listen-only and gain take effect within two ticks', async () => {
    const t = await setup();
    for (let i = 0; i < 10; i++) await t.tick();
    t.legs[0]!.setTalk(false);
    await t.tick();
    await t.tick();
    const b = t.lastFrame(1);
    expect(goertzelDb(b, 440) - goertzelDb(b, 1200), 'muted 440 gone for leg 1').to.be.lessThan(-30);
    t.legs[2]!.setListen(false);
    await t.tick();
    await t.tick();
    expect(Math.max(...t.lastFrame(2).map(Math.abs))).to.equal(0);
    const before = goertzelDb(t.lastFrame(1), 1200);
    t.legs[1]!.setGain({ listen: 2 });
    await t.tick();
    await t.tick();
    expect(goertzelDb(t.lastFrame(1), 1200) - before).to.be.closeTo(6, 1);
    await t.close();
  });

  it('counts foreign and malformed packets and drops them', async () => {
    const t = await setup();
    const stranger = createSocket('udp4');
    const port = t.engine.address!.port;
    await new Promise((resolve) => stranger.bind(0, '127.0.0.1', () => resolve(undefined)));
    stranger.send(Buffer.alloc(172, 0x80), port, '127.0.0.1');
    await new Promise((resolve) => setTimeout(resolve, 30));
    t.legs[0]!.setRemote('127.0.0.1', stranger.address().port);
    stranger.send(Buffer.from('not rtp at all'), port, '127.0.0.1');
    await new Promise((resolve) => setTimeout(resolve, 30));
    const stats = t.engine.stats();
    expect(stats.foreign).to.equal(1);
    expect(stats.malformed).to.equal(1);
    stranger.close();
    await t.close();
  });
});
