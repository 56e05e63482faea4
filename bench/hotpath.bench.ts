/** Per-packet costs: RTP parse, u-law, one room's mix, and bytes allocated per output packet. */
import { PerformanceObserver } from 'node:perf_hooks';
import { RtpPacket } from 'werift';
import { loopbackEngine } from '../test/support/loopbackEngine';
import { newRtpView, parseRtp } from '../src/media/rtp';
import { ulawDecodeInto, ulawEncodeInto } from '../src/media/ulaw';

function time(label: string, n: number, fn: () => void): number {
  for (let i = 0; i < Math.min(n, 10000); i++) fn();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  const ns = Number(process.hrtime.bigint() - start) / n;
  console.log(`  ${label}: ${ns.toFixed(1)} ns/op`);
  return ns;
}

export async function main(): Promise<void> {
  console.log('hot path');
  const packet = Buffer.alloc(172, 0xff);
  packet[0] = 0x80;
  const view = newRtpView();
  const parseNs = time('RTP parse (hand-written)', 2_000_000, () => parseRtp(packet, 172, view));
  // werift's RTP packet class (the browsers' WebRTC stack), on the same packet.
  const werift = time('RTP parse (werift RtpPacket.deSerialize)', 200_000, () => RtpPacket.deSerialize(packet));
  console.log(`  -> the hand-written parser is ${(werift / parseNs).toFixed(0)}x faster, measured here`);
  const pcm = new Int16Array(160);
  const out = new Uint8Array(160);
  time('u-law decode, 160 samples', 1_000_000, () => ulawDecodeInto(packet, 12, pcm, 160));
  time('u-law encode, 160 samples', 1_000_000, () => ulawEncodeInto(pcm, out, 0, 160));

  const engine = loopbackEngine();
  const room = engine.createRoom('bench');
  const legs = Array.from({ length: 10 }, (_, i) => room.addLeg({ participantId: `p${i}`, codec: 'ulaw' }));
  // The engine is not started, so sending is a no-op: only pulling, mixing and encoding are measured.
  legs.forEach((leg, i) => leg.setRemote('127.0.0.1', 20000 + i));
  const tone = Buffer.alloc(160);
  for (let i = 0; i < 160; i++) tone[i] = (i * 7) & 0xff;
  let seq = 0;
  const feed = (): void => {
    for (let i = 0; i < legs.length; i++) (legs[i] as (typeof legs)[number]).jitter.push(seq & 0xffff, tone, 0, 160);
    seq++;
  };
  for (let i = 0; i < 3; i++) feed();
  const mixNs = time('room of 10 talkers, one tick (pull, mix N-1, encode)', 200_000, () => {
    feed();
    room.tick();
  });
  console.log(
    `  -> ${(20e6 / mixNs).toFixed(0)} rooms of 10 per 20 ms tick on one core (${((20e6 / mixNs) * 10).toFixed(0)} participants)`,
  );
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    for (let i = 0; i < 1000; i++) {
      feed();
      room.tick();
    }
    // Zero allocation shows as no garbage collection at all while millions of packets go out (the
    // young generation is a few MB), and as heap growth per packet that does not scale with the run.
    const ticks = 200_000;
    let collections = 0;
    const observer = new PerformanceObserver((list) => {
      collections += list.getEntries().length;
    });
    gc();
    observer.observe({ entryTypes: ['gc'] });
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < ticks; i++) {
      feed();
      room.tick();
    }
    const grown = process.memoryUsage().heapUsed - before;
    // GC entries reach the observer asynchronously.
    await new Promise((resolve) => setTimeout(resolve, 200));
    observer.disconnect();
    console.log(
      `  over ${ticks * 10} output packets: ${collections} garbage collections, heap ${grown} bytes larger (${(grown / (ticks * 10)).toFixed(3)} bytes per packet)`,
    );
  } else console.log('  (run through npm run bench for the allocation figure: needs --expose-gc)');
  await engine.close();
}
