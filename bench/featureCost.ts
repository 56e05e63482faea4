/**
 * What each media feature costs per participant, side by side: one room of 10 talkers ticked in this process
 * (packets built and thrown away, no sockets), its CPU time per tick for plain u-law, u-law with denoise, with
 * every participant recorded to their own file, an all-G.722 room, and a room of 5 G.722 and 5 u-law legs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { G722Encoder } from '../src/media/g722';
import type { Codec } from '../src/media/MediaLeg';
import { MediaRoom, type RoomHost } from '../src/media/MediaRoom';
import { SoundLibrary } from '../src/media/sounds';
import { ulawEncodeInto } from '../src/media/ulaw';
import { DEFAULT_AUDIO } from '../src/media/voice';

const TALKERS = 10;
const TICKS = Number(process.env.BENCH_FEATURE_TICKS ?? 3000);

interface Variant {
  name: string;
  codecs: Codec[];
  denoise?: boolean;
  recordEach?: boolean;
}

const VARIANTS: Variant[] = [
  { name: 'u-law (8 kHz mix)', codecs: Array<Codec>(TALKERS).fill('ulaw') },
  { name: 'u-law + denoise', codecs: Array<Codec>(TALKERS).fill('ulaw'), denoise: true },
  { name: 'u-law + per-participant recording', codecs: Array<Codec>(TALKERS).fill('ulaw'), recordEach: true },
  { name: 'G.722 (16 kHz mix)', codecs: Array<Codec>(TALKERS).fill('g722') },
  { name: 'G.722 + u-law, 5 + 5 (16 kHz mix)', codecs: [...Array<Codec>(5).fill('g722'), ...Array<Codec>(5).fill('ulaw')] },
  { name: 'G.722 + denoise', codecs: Array<Codec>(TALKERS).fill('g722'), denoise: true },
];

/** Each leg's 50 frames of a tone, encoded once in its codec: the room decodes them as it would RTP. */
function frames(codec: Codec, hz: number): Uint8Array[] {
  const rate = codec === 'g722' ? 16000 : 8000;
  const n = rate / 50;
  const encoder = new G722Encoder();
  return Array.from({ length: 50 }, (_, f) => {
    const pcm = new Int16Array(n);
    for (let i = 0; i < n; i++) pcm[i] = Math.round(3000 * Math.sin((2 * Math.PI * hz * (f * n + i)) / rate) + 300 * (Math.random() - 0.5));
    const out = new Uint8Array(160);
    if (codec === 'g722') encoder.encode(pcm, n, out);
    else ulawEncodeInto(pcm, out, 0, 160);
    return out;
  });
}

async function measure(variant: Variant): Promise<number> {
  const host: RoomHost = {
    sounds: new SoundLibrary('/nonexistent', '/nonexistent'),
    legAdded: () => undefined,
    legRemoved: () => undefined,
    send: () => undefined,
  };
  const room = new MediaRoom('bench', host);
  room.configure({ ...DEFAULT_AUDIO, denoise: variant.denoise ?? false });
  const payloads = variant.codecs.map((codec, i) => {
    const leg = room.addLeg({ participantId: `p${i}`, codec });
    leg.setRemote('127.0.0.1', 9);
    return frames(codec, 300 + 97 * i);
  });
  const dir = mkdtempSync(join(tmpdir(), 'meetme-feature-'));
  if (variant.recordEach) await Promise.all(variant.codecs.map((_, i) => room.startLegRecording(`p${i}`, join(dir, `p${i}.wav`))));
  const seq = new Array<number>(TALKERS).fill(0);
  const run = (ticks: number): void => {
    for (let t = 0; t < ticks; t++) {
      for (let i = 0; i < TALKERS; i++) {
        room.leg(`p${i}`).jitter.push(seq[i] as number, (payloads[i] as Uint8Array[])[t % 50] as Uint8Array, 0, 160);
        seq[i] = ((seq[i] as number) + 1) & 0xffff;
      }
      room.tick();
    }
  };
  run(500);
  const start = process.cpuUsage();
  run(TICKS);
  const used = process.cpuUsage(start);
  await room.close();
  return (used.user + used.system) / TICKS;
}

export async function featureCost(): Promise<void> {
  console.log(`feature cost: one room of ${TALKERS} talkers ticked ${TICKS} times in process (CPU time, so other load matters less)`);
  let base = 0;
  for (const variant of VARIANTS) {
    const perTick = await measure(variant);
    if (base === 0) base = perTick;
    const perParticipant = perTick / TALKERS;
    console.log(
      `  ${variant.name.padEnd(36)} ${perTick.toFixed(1).padStart(7)} us a tick, ${perParticipant.toFixed(2).padStart(6)} us a participant (${((perParticipant / 20000) * 100).toFixed(3)}% of a core), x${(perTick / base).toFixed(2)} u-law`,
    );
  }
}
