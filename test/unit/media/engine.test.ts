import { expect } from 'chai';
import { createSocket, type Socket } from 'node:dgram';
import { monotonicNow, type MediaLeg } from '../../../src/media';
import { SSRC_PROBATION } from '../../../src/media/RtpSource';
import { goertzelDb } from '../../support/audio';
import { loopbackEngine } from '../../support/loopbackEngine';
import { listeningPeer, toneFrame } from '../../support/rtpPeer';

const TONES = [440, 880, 1200];
const SSRC = [0x14aefaac, 0x18955814, 0x3feaf661];

/**
 * Three "Asterisk" sockets feeding one room over loopback; the test drives the ticks itself. This is the
 * receive path (which packets reach a leg's jitter buffer); the mix itself is tested in mix.test.ts.
 */
async function setup(sendDeadline?: Float64Array) {
  const engine = loopbackEngine(sendDeadline ? { sendDeadline } : {});
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
  // Asterisk starts each stream at a random sequence number (FINDINGS "externalMedia"): p0's is near the wrap.
  const seq = [65530, 12587, 33753];
  const ssrc = [...SSRC];
  const settle = () => new Promise((resolve) => setTimeout(resolve, 5));
  /** Sends a packet from socket i, as if Asterisk's externalMedia address and port sent it. */
  const from = (i: number, packet: Buffer) => sockets[i]!.send(packet, port, '127.0.0.1');
  /** Each socket sends one 20 ms frame of its tone (after `extra`, sent first), then the engine mixes once. */
  const tick = async (extra?: () => void): Promise<void> => {
    extra?.();
    for (let i = 0; i < 3; i++) {
      from(i, toneFrame(TONES[i]!, seq[i]!, ssrc[i]!));
      seq[i] = (seq[i]! + 1) & 0xffff;
    }
    await settle();
    engine.tick();
    await settle();
  };
  const lastFrame = (i: number) => heard[i]![heard[i]!.length - 1]!;
  /** How far p0's 440 Hz stands above silence in what p1 heard last. */
  const p0Heard = () => goertzelDb(lastFrame(1), 440);
  const close = async () => {
    sockets.forEach((s) => s.close());
    await engine.close();
  };
  return { engine, room, legs, seq, ssrc, from, tick, lastFrame, p0Heard, heard, close };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** Runs `ticks` ticks (with `extra` before each) and returns on which of them p1 did not hear p0. */
async function silentTicks(t: Setup, ticks: number, extra?: (n: number) => void): Promise<number[]> {
  const silent: number[] = [];
  for (let n = 0; n < ticks; n++) {
    await t.tick(extra && (() => extra(n)));
    if (t.p0Heard() < -30) silent.push(n);
  }
  return silent;
}

describe("MediaEngine receive path: which packets are a leg's stream", () => {
  let t: Setup;
  beforeEach(async () => {
    t = await setup();
    // The streams settle (jitter buffers prefilled), and p0 is heard.
    for (let i = 0; i < 10; i++) await t.tick();
    expect(t.p0Heard()).to.be.greaterThan(-30);
  });
  afterEach(async () => t.close());

  for (const jump of [500, 20000]) {
    it(`keeps a participant audible through one forged packet ${jump} ahead in their own SSRC`, async () => {
      const silent = await silentTicks(t, 30, (n) => {
        if (n === 0) t.from(0, toneFrame(TONES[0]!, (t.seq[0]! + jump) & 0xffff, t.ssrc[0]!));
      });
      expect(silent, 'ticks on which p1 did not hear p0').to.deep.equal([]);
      expect(t.engine.stats().foreign).to.equal(1);
    });
  }

  it('keeps a participant audible while another SSRC sends 50 packets a second from their address', async () => {
    let forged = 40000;
    const silent = await silentTicks(t, 50, () => {
      t.from(0, toneFrame(2000, forged, 0xbad5eed));
      forged++;
    });
    expect(silent, 'ticks on which p1 did not hear p0').to.deep.equal([]);
    const heard = t.lastFrame(1);
    expect(goertzelDb(heard, 2000) - goertzelDb(heard, 440), 'the forged tone is not in the mix').to.be.lessThan(-30);
    expect(t.engine.stats().foreign).to.equal(50);
  });

  it('takes a genuine SSRC change (a new stream, the old one stopped) after its probation', async () => {
    t.ssrc[0] = 0x0675f638;
    t.seq[0] = 7989;
    const silent = await silentTicks(t, 30);
    // The new stream's first packets prove it (while what was queued of the old one plays out), then the
    // jitter buffer fills again: from then on p0 is heard.
    expect(silent.length, 'ticks without p0').to.be.greaterThan(0);
    expect(Math.max(...silent), 'last tick without p0').to.be.lessThan(SSRC_PROBATION + 3);
    expect(t.engine.stats().foreign).to.equal(SSRC_PROBATION - 1);
  });

  it('follows a sender that renumbers, confirmed by the packet after the jump, and loses none of it', async () => {
    t.seq[0] = (t.seq[0]! + 30000) & 0xffff;
    const silent = await silentTicks(t, 20);
    expect(silent.length === 0 || Math.max(...silent) < 4, `p0 heard again within 4 ticks (silent on ${silent.join()})`).to.equal(true);
    expect(t.engine.stats()).to.include({ foreign: 0, packetsIn: 30 * 3 });
  });

  it('plays through a real gap in the sequence (a DTMF digit skips 5; a lost burst of 12) with no restart', async () => {
    for (const gap of [5, 12]) {
      t.seq[0] = (t.seq[0]! + gap) & 0xffff;
      // The missing frames are missing (concealed, then quiet); the stream goes on right after them.
      const silent = await silentTicks(t, 20);
      expect(silent.length, `silent ticks after a gap of ${gap}`).to.be.below(gap);
      expect(Math.max(-1, ...silent), `last silent tick after a gap of ${gap}`).to.be.below(gap + 3);
    }
    expect(t.engine.stats().foreign).to.equal(0);
  });

  it('counts header-only packets, wrong payload sizes, bad versions and padding as malformed, and the participant stays audible', async () => {
    const good = () => toneFrame(TONES[0]!, t.seq[0]!, t.ssrc[0]!);
    const headerOnly = good().subarray(0, 12);
    const short = good().subarray(0, 12 + 80);
    const version1 = good();
    version1[0] = 0x40;
    const badPadding = good();
    badPadding[0] = 0xa0;
    badPadding[badPadding.length - 1] = 0;
    const otherType = good();
    otherType[1] = 8;
    const silent = await silentTicks(t, 10, () => {
      for (const packet of [headerOnly, short, version1, badPadding, otherType]) t.from(0, packet);
    });
    expect(silent).to.deep.equal([]);
    expect(t.engine.stats()).to.include({ malformed: 50, foreign: 0 });
  });

  it('counts packets from any other address and port as foreign and drops them', async () => {
    const stranger = createSocket('udp4');
    const port = t.engine.address!.port;
    await new Promise((resolve) => stranger.bind(0, '127.0.0.1', () => resolve(undefined)));
    for (let i = 0; i < 5; i++) stranger.send(toneFrame(TONES[0]!, t.seq[0]! + 500, t.ssrc[0]!), port, '127.0.0.1');
    const silent = await silentTicks(t, 5);
    expect(silent).to.deep.equal([]);
    expect(t.engine.stats()).to.include({ foreign: 5, malformed: 0 });
    stranger.close();
  });
});

describe('MediaEngine send deadline (the lease fence of src/ha)', () => {
  it('mixes and sends nothing once the deadline has passed, and resumes when it is moved on', async () => {
    const deadline = new Float64Array(new SharedArrayBuffer(8));
    deadline[0] = monotonicNow() + 60_000;
    const t = await setup(deadline);
    try {
      await silentTicks(t, 10);
      expect(t.p0Heard(), 'heard while the lease is current').to.be.greaterThan(-30);
      deadline[0] = monotonicNow();
      const before = t.heard.map((h) => h.length);
      await silentTicks(t, 10);
      expect(
        t.heard.map((h) => h.length),
        'frames sent past the deadline',
      ).to.deep.equal(before);
      deadline[0] = monotonicNow() + 60_000;
      await silentTicks(t, 5);
      expect(t.heard[1]!.length).to.be.greaterThan(before[1]!);
    } finally {
      await t.close();
    }
  });
});
