/**
 * The headline load test: 100 rooms x 10 talkers, G.711 in and out over loopback, the load generator
 * (`loadgen.c`, compiled on the fly with the system C compiler) in another process, the engine as the
 * app runs it: rooms spread over media threads, each with its own socket and clock.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { join } from 'node:path';
import { silentLogger } from '../src/lib/logger';
import { MediaThreads, defaultThreadCount, type RemoteRoom, type ThreadReport } from '../src/media';
import { wavHeader } from '../src/media/wav';
import { median } from '../src/capacity/forecast';
import { featureCost } from './featureCost';
import { OTHER, loadOther } from './otherBuild';

const ROOMS = Number(process.env.BENCH_ROOMS ?? 100);
const PER_ROOM = Number(process.env.BENCH_PER_ROOM ?? 10);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
const LEAD_MS = Number(process.env.BENCH_LEAD_MS ?? 3);
const PHASE = process.env.BENCH_PHASE === 'aligned' ? 'aligned' : 'spread';
const THREADS = Number(process.env.BENCH_THREADS ?? defaultThreadCount());
/** Rooms recording to WAV files, rooms with announcements to everyone back to back, rooms with one leg on music. */
const RECORD_ROOMS = Number(process.env.BENCH_RECORD_ROOMS ?? 10);
const PROMPT_ROOMS = Number(process.env.BENCH_PROMPT_ROOMS ?? 10);
const MUSIC_ROOMS = Number(process.env.BENCH_MUSIC_ROOMS ?? 10);
/** With BENCH_OTHER: load tests of each build, in turns. */
const ENGINE_ROUNDS = Number(process.env.BENCH_ENGINE_ROUNDS ?? 1);

/** A 2.4 s prompt and 10 s of music, as the Debian sound packages ship them (16 kHz PCM WAVs). */
function benchSounds(): { soundsDir: string; musicDir: string } {
  const soundsDir = mkdtempSync(join(tmpdir(), 'meetme-bench-sounds-'));
  const musicDir = join(soundsDir, 'moh');
  mkdirSync(musicDir);
  const wav = (hz: number, seconds: number) => {
    const data = Buffer.alloc(seconds * 16000 * 2);
    for (let i = 0; i < seconds * 16000; i++) data.writeInt16LE(Math.round(6000 * Math.sin((2 * Math.PI * hz * i) / 16000)), i * 2);
    return Buffer.concat([wavHeader(data.length, 16000), data]);
  };
  writeFileSync(join(soundsDir, 'conf-onlyperson.wav'), wav(700, 2.4));
  writeFileSync(join(musicDir, 'music.wav'), wav(500, 10));
  return { soundsDir, musicDir };
}

/** The drops column of /proc/net/udp for our socket: datagrams the kernel threw away for want of buffer. */
function socketDrops(port: number): number | undefined {
  try {
    const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
    const line = readFileSync('/proc/net/udp', 'utf8')
      .split('\n')
      .find((l) => l.trim().split(/\s+/)[1]?.endsWith(`:${hexPort}`));
    return line ? Number(line.trim().split(/\s+/).pop()) : undefined;
  } catch {
    return undefined;
  }
}

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** What the comparison with another build sets side by side. */
interface LoadFigures {
  cpuPercent: number;
  mixMs: number;
  p99: number[];
  atSink: [number, number];
  load: string;
}

/** The 1-minute load average, to judge a figure by. */
const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ')[0] ?? '?';

/** One load test of the engine `Threads` (this build's, or BENCH_OTHER's), its figures printed as `label`. */
async function loadTest(Threads: typeof MediaThreads, label: string): Promise<LoadFigures> {
  const participants = ROOMS * PER_ROOM;
  const engine = new Threads({
    threads: THREADS,
    bindAddress: '127.0.0.1',
    port: 0,
    ...benchSounds(),
    tickLeadMs: LEAD_MS,
    logger: silentLogger(),
  });
  const enginePorts = await engine.start();
  const binary = join(mkdtempSync(join(tmpdir(), 'meetme-loadgen-')), 'loadgen');
  execFileSync('cc', ['-O2', '-o', binary, join(__dirname, 'loadgen.c'), '-lm'], { stdio: 'inherit' });
  const child = spawn(binary, [String(participants)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const next = <T>(type: string) =>
    new Promise<T>((resolve) =>
      lines.on('line', (line) => {
        const message = JSON.parse(line) as { type: string };
        if (message.type === type) resolve(message as T);
      }),
    );
  const { ports } = await next<{ ports: number[] }>('ports');
  // Figures from the threads come with their heartbeat, twice a second: wait for a fresh one.
  const fresh = async (): Promise<ThreadReport[]> => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    return engine.report();
  };
  const heapOf = (report: ThreadReport[]) => report.reduce((sum, t) => sum + (t.heapUsed ?? 0), 0);
  const heapBefore = heapOf(await fresh());
  const rssBefore = process.memoryUsage().rss;
  const targets: number[] = [];
  const rooms: RemoteRoom[] = [];
  for (let r = 0; r < ROOMS; r++) {
    const room = engine.createRoom(`room-${r}`);
    rooms.push(room);
    for (let p = 0; p < PER_ROOM; p++) {
      room.addLeg({ participantId: `p${r}-${p}`, codec: 'ulaw' }).setRemote('127.0.0.1', ports[r * PER_ROOM + p] as number);
      targets.push(room.port);
    }
  }
  // Recording, prompts and music in some rooms (spread over the threads as rooms are), so the tick
  // figures cover them: the first rooms record, the next play announcements, the next have music.
  const recordings = mkdtempSync(join(tmpdir(), 'meetme-bench-rec-'));
  const recorded = rooms.slice(0, RECORD_ROOMS);
  await Promise.all(recorded.map((room) => room.startRecording(join(recordings, `${room.id}.wav`))));
  const recordingFrom = performance.now();
  let announcing = true;
  let announcements = 0;
  const announcers = rooms.slice(RECORD_ROOMS, RECORD_ROOMS + PROMPT_ROOMS).map(async (room) => {
    while (announcing) {
      if ((await room.playToAll(['sound:conf-onlyperson'])) === 'done') announcements++;
      // Refused at once (its thread restarting): wait, or this loop would never yield to the event loop.
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
  for (const room of rooms.slice(RECORD_ROOMS + PROMPT_ROOMS, RECORD_ROOMS + PROMPT_ROOMS + MUSIC_ROOMS))
    room.startMusic(`p${room.id.slice(5)}-0`);
  const heapAfter = heapOf(await fresh());
  const rssAfter = process.memoryUsage().rss;
  let tickMicros = 0;
  let mixedTicks = 0;
  engine.events.on('ticks', (_lateness, micros) => {
    for (const m of micros) tickMicros += m;
    mixedTicks += micros.length;
  });
  const done = next<{
    received: number[];
    jitter: number[];
    impulseDelays: number[];
    sendLateness: number[];
    sinkLost: number[];
    cpuPercent: number;
    sendFailures: number;
  }>('done');
  // The sender runs WARMUP seconds first (JIT, jitter buffers settling); figures cover the window after.
  const measuring = next<{ type: string }>('measuring');
  child.stdin.end(`start ${SECONDS} ${WARMUP} ${PHASE}\n${targets.join(' ')}\n`);
  await measuring;
  engine.resetStats();
  tickMicros = 0;
  mixedTicks = 0;
  const engineBefore = engine.stats();
  const gcsBefore = engine.report().reduce((sum, t) => sum + (t.gcs ?? 0), 0);
  const cpuStart = process.cpuUsage();
  const wallStart = process.hrtime.bigint();
  const measuredFrom = performance.now();
  let mainCollections = 0;
  const gcObserver = new PerformanceObserver((list) => {
    mainCollections += list.getEntries().length;
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  // A line per minute on long runs, so a drift over time (or a noisy neighbour) shows where it happened.
  let previous = { late: 0, in: engineBefore.packetsIn, lateIn: engineBefore.late, cpu: process.cpuUsage(), at: performance.now() };
  const progress = setInterval(() => {
    const late = engine.report().reduce((sum, t) => sum + (t.timer?.lateTicks ?? 0), 0);
    const e = engine.stats();
    const cpu = process.cpuUsage(previous.cpu);
    const cpuPercent = ((cpu.user + cpu.system) / 1000 / (performance.now() - previous.at)) * 100;
    console.log(
      `  ... ${Math.round((performance.now() - measuredFrom) / 1000)} s: ${late - previous.late} late ticks, engine CPU ${cpuPercent.toFixed(1)}%, in +${e.packetsIn - previous.in}, inbound late +${e.late - previous.lateIn}`,
    );
    previous = { late, in: e.packetsIn, lateIn: e.late, cpu: process.cpuUsage(), at: performance.now() };
  }, 60_000);
  const result = await done;
  const wallMs = Number(process.hrtime.bigint() - wallStart) / 1e6;
  const cpu = process.cpuUsage(cpuStart);
  clearInterval(progress);
  gcObserver.disconnect();
  const report = await fresh();
  const engineAfter = engine.stats();
  const kernelDrops = enginePorts.map(socketDrops);
  const engineStats = { ...engineAfter };
  for (const key of ['packetsIn', 'packetsOut', 'lost', 'late', 'concealed', 'foreign', 'malformed'] as const)
    engineStats[key] -= engineBefore[key];
  announcing = false;
  await Promise.all(recorded.map((room) => room.stopRecording()));
  const recordedSeconds = (performance.now() - recordingFrom) / 1000;
  const fileSeconds = recorded.map((room) => (statSync(join(recordings, `${room.id}.wav`)).size - 44) / 16000);
  await Promise.all(announcers);
  await engine.close();
  const cpuPercent = ((cpu.user + cpu.system) / 1000 / wallMs) * 100;
  const got = result.received;
  const threadGcs = report.reduce((sum, t) => sum + (t.gcs ?? 0), 0) - gcsBefore;
  console.log(
    `engine (${label}): ${ROOMS} rooms x ${PER_ROOM} talkers = ${participants} participants on ${THREADS} media thread(s), ${SECONDS} s measured after ${WARMUP} s warm-up, senders ${PHASE}, tick lead ${LEAD_MS} ms; load average ${loadAverage()} at the end`,
  );
  console.log(
    `  with ${RECORD_ROOMS} rooms recording, ${PROMPT_ROOMS} with announcements back to back (${announcements} played), ${MUSIC_ROOMS} with a leg on music`,
  );
  if (recorded.length > 0)
    console.log(
      `  recordings: ${recorded.length} WAV files of ${Math.min(...fileSeconds).toFixed(2)}-${Math.max(...fileSeconds).toFixed(2)} s for ${recordedSeconds.toFixed(2)} s recorded`,
    );
  console.log(
    `  CPU of the engine process (every thread): ${cpuPercent.toFixed(1)}% of one core -> ${(participants / (cpuPercent / 100)).toFixed(0)} participants per core`,
  );
  const mixMs = tickMicros / Math.max(1, mixedTicks) / 1000;
  console.log(`  mixing time per tick and thread: ${mixMs.toFixed(3)} ms mean`);
  for (const t of report) {
    const s = t.timer;
    if (!s) continue;
    // The clock ran on a little after the sender stopped (up to a heartbeat): these counts cover that too.
    console.log(
      `  thread ${t.index} (${t.legs} legs): tick lateness p50 ${s.lateness.p50.toFixed(3)} ms, p99 ${s.lateness.p99.toFixed(3)} ms, max ${s.lateness.max.toFixed(3)} ms; ${s.ticks} ticks of ${s.due} due, late (>1 ms) ${s.lateTicks}, early (>1 ms) ${s.earlyTicks}, skipped ${s.skipped}`,
    );
  }
  console.log(
    `  packets per participant at the sink while the sender ran: min ${Math.min(...got)}, max ${Math.max(...got)}, target ${SECONDS * 50}`,
  );
  console.log(
    `  lost at the sink (gaps in each participant's RTP sequence): ${result.sinkLost.reduce((a, b) => a + b, 0)} in all, worst participant ${Math.max(...result.sinkLost)}`,
  );
  console.log(
    `  engine in: ${engineStats.packetsIn}, out: ${engineStats.packetsOut}, lost ${engineStats.lost}, concealed ${engineStats.concealed}, late ${engineStats.late}, foreign ${engineStats.foreign}, malformed ${engineStats.malformed}`,
  );
  const sendLate = result.sendLateness;
  console.log(`  load generator process: ${result.cpuPercent.toFixed(1)}% of one core, ${result.sendFailures} failed sends`);
  console.log(
    `  dropped by the kernel at the engine's sockets (full receive buffer), whole run: ${kernelDrops.some((d) => d === undefined) ? 'not readable here' : kernelDrops.join(' + ')}`,
  );
  console.log(
    `  load generator's own send lateness (jitter the engine must absorb): p50 ${pct(sendLate, 50).toFixed(2)} ms, p99 ${pct(sendLate, 99).toFixed(2)} ms, max ${pct(sendLate, 100).toFixed(2)} ms, bursts later than 20 ms: ${sendLate.filter((v) => v > 20).length}`,
  );
  console.log(`  sink interarrival jitter: mean ${(result.jitter.reduce((a, b) => a + b, 0) / got.length).toFixed(3)} ms`);
  console.log(
    `  garbage collections in the window: ${threadGcs} in the media threads (${(threadGcs / SECONDS).toFixed(1)}/s; Node's dgram allocates per datagram, the mix path does not), ${mainCollections} in the main thread`,
  );
  console.log(
    `  memory per participant: heap ${((heapAfter - heapBefore) / participants / 1024).toFixed(1)} KiB, rss ${((rssAfter - rssBefore) / participants / 1024).toFixed(1)} KiB`,
  );
  console.log(
    `  added latency through the app (click in, click out): p50 ${pct(result.impulseDelays, 50).toFixed(1)} ms, p95 ${pct(result.impulseDelays, 95).toFixed(1)} ms over ${result.impulseDelays.length} clicks`,
  );
  return {
    cpuPercent,
    mixMs,
    p99: report.flatMap((t) => (t.timer ? [t.timer.lateness.p99] : [])),
    atSink: [Math.min(...got), Math.max(...got)],
    load: loadAverage(),
  };
}

export async function main(): Promise<void> {
  await featureCost();
  if (!OTHER) {
    await loadTest(MediaThreads, 'this build');
    return;
  }
  // Both builds in one run, in turns (this one first, then the other first, ...), so they share the machine's load.
  const other = loadOther<{ MediaThreads: typeof MediaThreads }>('src/media').MediaThreads;
  const runs: { label: string; figures: LoadFigures }[] = [];
  for (let round = 0; round < ENGINE_ROUNDS; round++) {
    const order: [typeof MediaThreads, string][] = [
      [MediaThreads, 'this build'],
      [other, OTHER],
    ];
    if (round % 2 === 1) order.reverse();
    for (const [Threads, label] of order) runs.push({ label, figures: await loadTest(Threads, label) });
  }
  console.log(`engine, this build against ${OTHER}, ${ENGINE_ROUNDS} round(s):`);
  for (const { label, figures: f } of runs)
    console.log(
      `  ${label}: ${f.cpuPercent.toFixed(1)}% of one core, mixing ${f.mixMs.toFixed(3)} ms per tick and thread, lateness p99 ${f.p99.map((v) => v.toFixed(2)).join(' / ')} ms, ${f.atSink[0]}-${f.atSink[1]} packets per participant at the sink, load ${f.load}`,
    );
  const of = (label: string, key: 'cpuPercent' | 'mixMs') => median(runs.filter((r) => r.label === label).map((r) => r.figures[key]));
  console.log(
    `  ratio this/other: CPU ${(of('this build', 'cpuPercent') / of(OTHER, 'cpuPercent')).toFixed(2)}, mixing ${(of('this build', 'mixMs') / of(OTHER, 'mixMs')).toFixed(2)}`,
  );
}
