/**
 * Silence after forged RTP (issue 9, fault 1): a talker and a listener in one room on a media thread,
 * RTP over loopback every 20 ms; packets that look like the talker's (its address and port) are injected,
 * and the bench times how long the listener does not hear the talker.
 */
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { goertzelDb } from '../src/media/goertzel';
import { writeRtpHeader } from '../src/media/rtp';
import { ULAW_DECODE } from '../src/media/ulaw';
import { loopbackThreads } from '../test/support/loopbackEngine';
import { every20ms, toneFrame } from '../test/support/rtpPeer';

/** Longest silence waited for per case, s: a forged +20,000 used to last 400 s. */
const CAP_SECONDS = Number(process.env.BENCH_FORGED_CAP_SECONDS ?? 15);
const TALKER_SSRC = 0x14aefaac;

async function bound(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return socket;
}

export async function main(): Promise<void> {
  const engine = loopbackThreads();
  const [port] = await engine.start();
  const talker = await bound();
  const listener = await bound();
  const room = engine.createRoom('forged');
  room.addLeg({ participantId: 'talker', codec: 'ulaw' }).setRemote('127.0.0.1', talker.address().port);
  room.addLeg({ participantId: 'listener', codec: 'ulaw' }).setRemote('127.0.0.1', listener.address().port);
  /** When the listener last got a frame in which the talker's 440 Hz stands out. */
  let lastHeard = performance.now();
  let silentSince: number | undefined;
  let longestSilence = 0;
  listener.on('message', (msg: Buffer) => {
    const pcm = new Int16Array(160);
    for (let i = 0; i < 160; i++) pcm[i] = ULAW_DECODE[msg[12 + i] as number] as number;
    const now = performance.now();
    if (goertzelDb(pcm, 440) > -30) {
      if (silentSince !== undefined) longestSilence = Math.max(longestSilence, now - silentSince);
      silentSince = undefined;
      lastHeard = now;
    } else silentSince ??= lastHeard;
  });
  // The talker (and a silent listener) on a drift-free 20 ms schedule, as chan_rtp sends.
  let seq = 12587;
  let extra: (() => void) | undefined;
  const silence = Buffer.alloc(172, 0xff);
  const stop = every20ms(() => {
    extra?.();
    talker.send(toneFrame(440, seq, TALKER_SSRC), port, '127.0.0.1');
    writeRtpHeader(silence, 0, seq & 0xffff, seq * 160, 0x18955814);
    listener.send(silence, port, '127.0.0.1');
    seq++;
  });
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** Runs one case: `inject` is called once per 20 ms frame for `frames` frames. */
  const measure = async (label: string, frames: number, inject: (n: number) => void): Promise<void> => {
    await pause(500);
    longestSilence = 0;
    silentSince = undefined;
    lastHeard = performance.now();
    let n = 0;
    extra = () => {
      if (n < frames) inject(n);
      n++;
    };
    const from = performance.now();
    // The talker counts as heard again after 200 ms of it; give up at the cap.
    while (performance.now() - from < CAP_SECONDS * 1000) {
      await pause(20);
      if (n >= frames && silentSince === undefined && performance.now() - lastHeard < 30 && performance.now() - from > frames * 20 + 200)
        break;
    }
    extra = undefined;
    const still = silentSince !== undefined;
    const figure = still ? `more than ${CAP_SECONDS * 1000} ms (still silent at the cap)` : `${longestSilence.toFixed(0)} ms`;
    console.log(`  ${label}: longest silence ${figure}`);
    if (still) {
      // Let the stream recover before the next case: the talker's leg is set up again.
      room.removeLeg('talker');
      room.addLeg({ participantId: 'talker', codec: 'ulaw' }).setRemote('127.0.0.1', talker.address().port);
      await pause(500);
    }
  };

  console.log(`forged RTP: a talker at 50 packets/s heard by a listener on a media thread (cap ${CAP_SECONDS} s)`);
  await measure('no forgery (baseline)', 50, () => undefined);
  await measure('one packet, talker SSRC, sequence +500', 1, () => talker.send(toneFrame(440, seq + 500, TALKER_SSRC), port, '127.0.0.1'));
  await measure('one packet, talker SSRC, sequence +20000', 1, () =>
    talker.send(toneFrame(440, seq + 20000, TALKER_SSRC), port, '127.0.0.1'),
  );
  let forged = 40000;
  await measure('3 s of another SSRC at 50 packets/s', 150, () => talker.send(toneFrame(2000, forged++, 0xbad5eed), port, '127.0.0.1'));
  const stats = engine.stats();
  console.log(`  engine: in ${stats.packetsIn}, foreign ${stats.foreign}, malformed ${stats.malformed}`);
  stop();
  talker.close();
  listener.close();
  await engine.close();
}
