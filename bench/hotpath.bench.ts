/** Per-packet costs: RTP parse, u-law, one room's mix, and bytes allocated per output packet. */
import { silentLogger } from '../src/lib/logger';
import { MediaEngine } from '../src/media';
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
  console.log(`  ratio to werift RtpPacket.deSerialize as measured on this machine (7.4 us): ${(7400 / parseNs).toFixed(0)}x faster`);
  const pcm = new Int16Array(160);
  const out = new Uint8Array(160);
  time('u-law decode, 160 samples', 1_000_000, () => ulawDecodeInto(packet, 12, pcm, 160));
  time('u-law encode, 160 samples', 1_000_000, () => ulawEncodeInto(pcm, out, 0, 160));

  const engine = new MediaEngine({ bindAddress: '127.0.0.1', port: 0, ptimeMs: 20, soundsDir: '/nonexistent', musicDir: '/nonexistent', logger: silentLogger() });
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
  console.log(`  -> ${(20e6 / mixNs).toFixed(0)} rooms of 10 per 20 ms tick on one core (${((20e6 / mixNs) * 10).toFixed(0)} participants)`);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    for (let i = 0; i < 1000; i++) {
      feed();
      room.tick();
    }
    gc();
    const before = process.memoryUsage().heapUsed;
    const ticks = 2000;
    for (let i = 0; i < ticks; i++) {
      feed();
      room.tick();
    }
    const after = process.memoryUsage().heapUsed;
    console.log(`  heap growth per output packet over ${ticks * 10} packets (no GC in between): ${((after - before) / (ticks * 10)).toFixed(2)} bytes`);
  } else console.log('  (run through npm run bench for the allocation figure: needs --expose-gc)');
  await engine.close();
}
