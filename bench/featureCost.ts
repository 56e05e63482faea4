/**
 * What each media feature costs per participant, side by side: one room of 10 talkers ticked in this process
 * (packets built and thrown away, no sockets), its CPU time per tick for plain u-law, u-law with denoise, with
 * every participant recorded to their own file, an all-G.722 room, and a room of 5 G.722 and 5 u-law legs.
 * With `BENCH_OTHER` (another checkout), the plain u-law room of both builds in turns, round after round.
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
import { median } from '../src/capacity/forecast';
import { OTHER, loadOther } from './otherBuild';

const TALKERS = 10;
const TICKS = Number(process.env.BENCH_FEATURE_TICKS ?? 3000);
const WARMUP_TICKS = 2000;
const ROUNDS = Number(process.env.BENCH_OTHER_ROUNDS ?? 15);

/** What a room needs from a build: this one's, or the other checkout's (older ones have no `configure`). */
interface Build {
  MediaRoom: typeof MediaRoom;
  SoundLibrary: typeof SoundLibrary;
}

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

/** A room of the variant, ready to tick: `run(ticks)` pushes each leg its next frame and ticks. */
async function room(variant: Variant, build: Build): Promise<{ run: (ticks: number) => void; close: () => Promise<void> }> {
  const host: RoomHost = {
    sounds: new build.SoundLibrary('/nonexistent', '/nonexistent'),
    legAdded: () => undefined,
    legRemoved: () => undefined,
    send: () => undefined,
  };
  const room = new build.MediaRoom('bench', host);
  // The defaults need no call (an older build has none to make).
  if (variant.denoise) room.configure({ ...DEFAULT_AUDIO, denoise: true });
  const legs = variant.codecs.map((codec, i) => {
    const leg = room.addLeg({ participantId: `p${i}`, codec });
    leg.setRemote('127.0.0.1', 9);
    return leg;
  });
  const payloads = variant.codecs.map((codec, i) => frames(codec, 300 + 97 * i));
  const dir = mkdtempSync(join(tmpdir(), 'meetme-feature-'));
  if (variant.recordEach) await Promise.all(variant.codecs.map((_, i) => room.startLegRecording(`p${i}`, join(dir, `p${i}.wav`))));
  const seq = new Array<number>(TALKERS).fill(0);
  let t = 0;
  const run = (ticks: number): void => {
    for (let end = t + ticks; t < end; t++) {
      for (let i = 0; i < TALKERS; i++) {
        (legs[i] as (typeof legs)[number]).jitter.push(seq[i] as number, (payloads[i] as Uint8Array[])[t % 50] as Uint8Array, 0, 160);
        seq[i] = ((seq[i] as number) + 1) & 0xffff;
      }
      room.tick();
    }
  };
  return { run, close: () => room.close() };
}

/** CPU time of one tick, in us, over `ticks` ticks. */
function timed(run: (ticks: number) => void, ticks: number): number {
  const start = process.cpuUsage();
  run(ticks);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / ticks;
}

async function measure(variant: Variant): Promise<number> {
  const r = await room(variant, { MediaRoom, SoundLibrary });
  // Long enough for the optimising compiler: 500 ticks left the first variant measured half-compiled.
  r.run(WARMUP_TICKS);
  const perTick = timed(r.run, TICKS);
  await r.close();
  return perTick;
}

/** The plain u-law room of this build and of BENCH_OTHER's, in turns (the same load on both), round after round. */
async function againstOther(other: string): Promise<void> {
  const variant = VARIANTS[0] as Variant;
  const rooms = [
    await room(variant, { MediaRoom, SoundLibrary }),
    await room(variant, {
      MediaRoom: loadOther<{ MediaRoom: typeof MediaRoom }>('src/media/MediaRoom').MediaRoom,
      SoundLibrary: loadOther<{ SoundLibrary: typeof SoundLibrary }>('src/media/sounds').SoundLibrary,
    }),
  ];
  for (const r of rooms) r.run(WARMUP_TICKS);
  console.log(`  ${variant.name}, this build against ${other}, ${ROUNDS} rounds of ${TICKS} ticks each in turn (us a participant):`);
  const mine: number[] = [];
  const theirs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Each round starts with the other one, so neither always follows the same.
    const order = round % 2 === 0 ? [0, 1] : [1, 0];
    const got = [0, 0];
    for (const which of order) got[which] = timed((rooms[which] as (typeof rooms)[number]).run, TICKS) / TALKERS;
    mine.push(got[0] as number);
    theirs.push(got[1] as number);
    console.log(
      `    round ${round + 1}: this ${(got[0] as number).toFixed(2)}, other ${(got[1] as number).toFixed(2)}, ratio ${((got[0] as number) / (got[1] as number)).toFixed(2)}`,
    );
  }
  const ratios = mine.map((m, i) => m / (theirs[i] as number));
  console.log(
    `    median: this ${median(mine).toFixed(2)} us, other ${median(theirs).toFixed(2)} us a participant, ratio ${median(ratios).toFixed(2)} (rounds' ratios ${Math.min(...ratios).toFixed(2)}-${Math.max(...ratios).toFixed(2)})`,
  );
  for (const r of rooms) await r.close();
}

export async function featureCost(): Promise<void> {
  console.log(
    `feature cost: one room of ${TALKERS} talkers ticked ${TICKS} times after ${WARMUP_TICKS} in process (CPU time, so other load matters less)`,
  );
  let base = 0;
  for (const variant of VARIANTS) {
    const perTick = await measure(variant);
    if (base === 0) base = perTick;
    const perParticipant = perTick / TALKERS;
    console.log(
      `  ${variant.name.padEnd(36)} ${perTick.toFixed(1).padStart(7)} us a tick, ${perParticipant.toFixed(2).padStart(6)} us a participant (${((perParticipant / 20000) * 100).toFixed(3)}% of a core), x${(perTick / base).toFixed(2)} u-law`,
    );
  }
  if (OTHER) await againstOther(OTHER);
}
