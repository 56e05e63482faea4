/**
 * The whole system on a real Asterisk: the same rooms first on Asterisk's mixing bridges (softmix) and then
 * on the app mixer, in one run, with the CPU of both processes (Asterisk and ari-meetme) per participant.
 *
 * Participants are PJSIP channels, as phones are: Asterisk originates each to a SIP answerer in this process
 * (`PJSIP/<BENCH_ENDPOINT>/sip:p<i>@127.0.0.1:<port>`) straight into the Stasis app with the conference number
 * as appArgs, so it enters the caller flow as a dialled-in phone does; the answer's SDP points its RTP at one
 * socket of the C load generator (`loadgen.c`), which sends u-law every 20 ms and counts what comes back.
 *
 * Needs ARI_URL (skips without it), the app built (`npm run build`), and a PJSIP endpoint for the participants
 * (asterisk-conf/pjsip.conf `[meetme-media]`). Asterisk's pid: ASTERISK_PID, or the file ASTERISK_PIDFILE, or the
 * one process named `asterisk`. BENCH_MIXERS (default `asterisk,app`) may name another build as `app:/path/main.js`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { loadavg, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { SipUas } from '../src/sip/SipUas';
import type { MediaAddress } from '../src/sip/sdp';

const ARI_URL = process.env.ARI_URL;
const USER = process.env.ARI_USERNAME ?? 'asterisk';
const PASSWORD = process.env.ARI_PASSWORD ?? 'asterisk';
const APP = process.env.ARI_APP ?? 'meetme';
const SIZES = (process.env.BENCH_SIZES ?? '100,300,500').split(',').map(Number);
const MIXERS = (process.env.BENCH_MIXERS ?? 'asterisk,app').split(',');
const PER_ROOM = Number(process.env.BENCH_PER_ROOM ?? 10);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);
const ENDPOINT = process.env.BENCH_ENDPOINT ?? 'meetme-media';
const FIRST_ROOM = Number(process.env.BENCH_FIRST_ROOM ?? 9100);
/**
 * Calls set up per second. Callers arriving all at once push the app past Asterisk's HTTP session limit (100,
 * FINDINGS "HTTP session limit") and joins fail; a paced ramp measures the mixing, not the ramp.
 */
const JOIN_RATE = Number(process.env.BENCH_JOIN_RATE ?? 25);
/** Extra environment for the app, e.g. `MEDIA_THREADS=2` (space-separated NAME=value). */
const APP_ENV = Object.fromEntries(
  (process.env.BENCH_APP_ENV ?? '')
    .split(/\s+/)
    .filter(Boolean)
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
);
/** Node flags for the app, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` (a profile per thread, written when it exits). */
const APP_NODE_ARGS = (process.env.BENCH_APP_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
/** HTTP connections Asterisk allows by default (http.conf sessionlimit 100): stay well under it. */
const ARI_CONCURRENCY = 16;
/** The load generator's nice value (see raisePriority). */
const LOADGEN_NICE = Number(process.env.BENCH_LOADGEN_NICE ?? -10);
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

const auth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let inFlight = 0;
const queue: (() => void)[] = [];
async function ari<T = unknown>(method: string, path: string): Promise<{ status: number; body: T }> {
  if (inFlight >= ARI_CONCURRENCY) await new Promise<void>((resolve) => queue.push(resolve));
  inFlight++;
  try {
    // Asterisk closes connections beyond its session limit while the app floods it (a mass hangup): retry.
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await fetch(`${ARI_URL}/ari${path}`, { method, headers: { authorization: auth } });
        const text = await response.text();
        return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
      } catch (error) {
        if (attempt >= 10) throw error;
        await sleep(300);
      }
    }
  } finally {
    inFlight--;
    queue.shift()?.();
  }
}

/** utime + stime of a process (all its threads), in seconds. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

function threadCount(pid: number): number {
  return readdirSync(`/proc/${pid}/task`).length;
}

function asteriskPid(): number {
  if (process.env.ASTERISK_PID) return Number(process.env.ASTERISK_PID);
  if (process.env.ASTERISK_PIDFILE) return Number(readFileSync(process.env.ASTERISK_PIDFILE, 'utf8').trim());
  const found = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'asterisk';
      } catch {
        return false;
      }
    });
  if (found.length !== 1) throw new Error(`found ${found.length} asterisk processes: set ASTERISK_PID or ASTERISK_PIDFILE`);
  return Number(found[0]);
}

interface Result {
  mixer: string;
  participants: number;
  joined: number;
  asteriskCpu: number;
  appCpu: number;
  missing: number;
  silent: number;
  asteriskThreads: number;
  technologies: Record<string, number>;
  /** The 1-minute load average at the end of the measured window: how quiet the machine was. */
  load: number;
  /** The load generator's own CPU (share of a core) and p99 send lateness (ms): past 20 ms it was short of CPU itself. */
  loadgenCpu: number;
  loadgenLateP99: number;
  /** Listener-talker pairs of the same room where the listener did not hear the talker, and all such pairs. */
  missedPairs: number;
  pairs: number;
}

/** `asterisk`, `app`, or `app:/path/to/main.js` (another build, to compare two versions in one run). */
async function startApp(spec: string, port: number): Promise<ChildProcess> {
  const [mixer, other] = spec.split(':') as [string, string | undefined];
  const main = other ?? process.env.BENCH_APP_MAIN ?? join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
  if (!existsSync(main)) throw new Error(`build the app first (npm run build): ${main} is missing`);
  const child = spawn(process.execPath, [...APP_NODE_ARGS, main, 'serve'], {
    env: {
      ...process.env,
      ARI_URL,
      ARI_USERNAME: USER,
      ARI_PASSWORD: PASSWORD,
      ARI_APP: APP,
      MIXER: mixer,
      HTTP_PORT: String(port),
      STORE_PATH: ':memory:',
      RECORDINGS_DIR: mkdtempSync(join(tmpdir(), 'meetme-bench-rec-')),
      LOG_LEVEL: 'error',
      // Free ports: the machine may run other apps.
      MEDIA_PORT: '0',
      MEDIA_SIP_PORT: '0',
      ...APP_ENV,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  // A bench that dies must not leave an app holding the Stasis app for the next run.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  for (let i = 0; i < 100; i++) {
    await sleep(200);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return child;
  }
  child.kill();
  throw new Error('the app did not become ready in 20 s');
}

async function stopApp(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(10000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

async function benchChannels(): Promise<string[]> {
  const { body } = await ari<{ id: string }[]>('GET', '/channels');
  // Ours, and media legs an app that died left behind (they would keep costing Asterisk threads).
  return body.filter((c) => c.id.startsWith('bench-') || c.id.startsWith('meetme-media-')).map((c) => c.id);
}

async function hangupAll(): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const left = await benchChannels();
    if (left.length === 0) return;
    // Paced like the joins: the app tears down each leg over ARI too, and a flood passes the session limit.
    const hangups: Promise<unknown>[] = [];
    for (const id of left) {
      hangups.push(ari('DELETE', `/channels/${id}`).catch(() => undefined));
      await sleep(1000 / JOIN_RATE);
    }
    await Promise.all(hangups);
    await sleep(500);
  }
}

/**
 * The load generator stands in for phones, which are other machines: it must not queue behind Asterisk's
 * thousand threads for the CPU. At equal priority on the 2-core VM it got 18% of a core where it needs about 30%,
 * and its sends fell seconds behind (before it read between ticks, it stopped reading altogether and every
 * participant "heard nothing"). Raised if we may (root, or CAP_SYS_NICE); its lateness is printed either way.
 */
function raisePriority(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    setPriority(pid, LOADGEN_NICE);
  } catch {
    console.log(`  (could not raise the load generator's priority to nice ${LOADGEN_NICE}: its figures may be its own starvation)`);
  }
}

async function run(mixer: string, participants: number, loadgen: string, appPort: number): Promise<Result> {
  const pid = asteriskPid();
  // An interrupted run leaves its channels in Asterisk under the same ids: the next would count them as joined.
  await hangupAll();
  const app = await startApp(mixer, appPort);
  const child = spawn(loadgen, [String(participants), String(PER_ROOM)], { stdio: ['pipe', 'pipe', 'inherit'] });
  raisePriority(child.pid);
  const lines = createInterface({ input: child.stdout });
  const messages: { type: string }[] = [];
  const waiters: [string, (m: unknown) => void][] = [];
  lines.on('line', (line) => {
    const message = JSON.parse(line) as { type: string };
    const index = waiters.findIndex(([type]) => type === message.type);
    if (index >= 0) waiters.splice(index, 1)[0]![1](message);
    else messages.push(message);
  });
  const next = <T>(type: string) =>
    new Promise<T>((resolve) => {
      const index = messages.findIndex((m) => m.type === type);
      if (index >= 0) resolve(messages.splice(index, 1)[0] as T);
      else waiters.push([type, resolve as (m: unknown) => void]);
    });
  const { ports } = await next<{ ports: number[] }>('ports');
  const asteriskRtp = new Map<number, MediaAddress>();
  const uas = new SipUas({
    bindAddress: '127.0.0.1',
    port: 0,
    answer: (user, offer) => {
      const i = Number(/^p(\d+)$/.exec(user)?.[1] ?? NaN);
      const port = ports[i];
      if (port === undefined) return undefined;
      asteriskRtp.set(i, offer);
      return { address: '127.0.0.1', port };
    },
  });
  // With direct media Asterisk re-INVITEs each participant to the app's RTP address.
  let lastMove = 0;
  uas.events.on('moved', (user, remote) => {
    asteriskRtp.set(Number(user.slice(1)), remote);
    lastMove = Date.now();
  });
  const sipPort = await uas.start();
  try {
    const started = Date.now();
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < participants; i++) {
      const room = FIRST_ROOM + Math.floor(i / PER_ROOM);
      const endpoint = encodeURIComponent(`PJSIP/${ENDPOINT}/sip:p${i}@127.0.0.1:${sipPort}`);
      calls.push(ari('POST', `/channels?channelId=bench-p${i}&endpoint=${endpoint}&app=${APP}&appArgs=${room},q&timeout=30`));
      await sleep(Math.max(0, started + ((i + 1) * 1000) / JOIN_RATE - Date.now()));
    }
    await Promise.all(calls);
    let joined = 0;
    const deadline = Date.now() + 30000 + participants * 20;
    while (Date.now() < deadline) {
      const { body } = await ari<{ channels: string[] }[]>('GET', '/bridges');
      const inBridge = new Set(body.flatMap((b) => b.channels));
      joined = Array.from({ length: participants }, (_, i) => `bench-p${i}`).filter((id) => inBridge.has(id)).length;
      if (joined === participants) break;
      await sleep(1000);
    }
    const joinSeconds = (Date.now() - started) / 1000;
    // A participant is in its bridge before Asterisk re-INVITEs it to direct media: the load generator's targets are
    // read once the re-INVITEs have stopped coming (2 s without one; at most 30 s).
    for (const settleBy = Date.now() + 30000; Date.now() < settleBy && Date.now() - lastMove < 2000;) await sleep(250);
    const targets = Array.from({ length: participants }, (_, i) => asteriskRtp.get(i)?.port ?? 9);
    child.stdin.write(`start ${SECONDS} ${WARMUP} spread\n${targets.join(' ')}\n`);
    await next('measuring');
    const t0 = performance.now();
    const a0 = cpuSeconds(pid);
    const p0 = cpuSeconds(app.pid!);
    const done = await next<{ received: number[]; cpuPercent: number; sendLateness: number[]; missedTalkers: number[] }>('done');
    const wall = (performance.now() - t0) / 1000;
    const asteriskCpu = (cpuSeconds(pid) - a0) / wall;
    const appCpu = (cpuSeconds(app.pid!) - p0) / wall;
    const asteriskThreads = threadCount(pid);
    const load = loadavg()[0] ?? 0;
    const { body: bridges } = await ari<{ technology: string; channels: string[] }[]>('GET', '/bridges');
    const technologies: Record<string, number> = {};
    for (const b of bridges) if (b.channels.length > 0) technologies[b.technology] = (technologies[b.technology] ?? 0) + 1;
    const expected = SECONDS * 50;
    const missing = done.received.reduce((sum, got) => sum + Math.max(0, expected - got), 0) / (expected * participants);
    const silent = done.received.filter((got) => got === 0).length;
    const lateness = [...done.sendLateness].sort((a, b) => a - b);
    const loadgenLateP99 = lateness[Math.floor(lateness.length * 0.99)] ?? 0;
    console.log(
      `  ${mixer.padEnd(8)} ${participants}: joined ${joined} in ${joinSeconds.toFixed(1)} s, bridges ${JSON.stringify(technologies)}`,
    );
    const label = mixer.includes(':') ? `${mixer.split(':')[0]}-other` : mixer;
    return {
      mixer: label,
      participants,
      joined,
      asteriskCpu,
      appCpu,
      missing,
      silent,
      asteriskThreads,
      technologies,
      load,
      loadgenCpu: done.cpuPercent / 100,
      loadgenLateP99,
      missedPairs: done.missedTalkers.reduce((sum, missed) => sum + missed, 0),
      pairs: talkerPairs(participants),
    };
  } finally {
    child.kill();
    await hangupAll();
    uas.close();
    await stopApp(app);
    await hangupAll();
  }
}

/** Same-room (listener, other talker) pairs: participants 0 and 1 only listen (the click and its listener). */
function talkerPairs(participants: number): number {
  let pairs = 0;
  for (let i = 0; i < participants; i++) {
    const first = Math.floor(i / PER_ROOM) * PER_ROOM;
    for (let j = first; j < Math.min(first + PER_ROOM, participants); j++) if (j !== i && j > 1) pairs++;
  }
  return pairs;
}

const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
/** CPU per participant per 20 ms tick, in microseconds. */
const perTick = (share: number, participants: number) => (share / participants / 50) * 1e6;

export async function main(): Promise<void> {
  if (!ARI_URL) {
    console.log('system: skipped (set ARI_URL, and the credentials, to a real Asterisk to run it; see bench/README.md)');
    return;
  }
  const info = await ari<{ system?: { version?: string } }>('GET', '/asterisk/info');
  if (info.status !== 200) throw new Error(`ARI answered ${info.status} to GET /asterisk/info`);
  const binary = join(mkdtempSync(join(tmpdir(), 'meetme-loadgen-')), 'loadgen');
  execFileSync('cc', ['-O2', '-o', binary, join(__dirname, 'loadgen.c'), '-lm'], { stdio: 'inherit' });
  const appPort = 18090 + Math.floor(Math.random() * 1000);
  console.log(
    `system: Asterisk ${info.body.system?.version ?? '?'}, rooms of ${PER_ROOM}, all talking, u-law 20 ms, ${SECONDS} s measured after ${WARMUP} s`,
  );
  const rows: string[] = [];
  for (const participants of SIZES) {
    const results: Result[] = [];
    for (const mixer of MIXERS) results.push(await run(mixer, participants, binary, appPort));
    const total = (r: Result) => r.asteriskCpu + r.appCpu;
    const base = results.find((r) => r.mixer === 'asterisk');
    for (const r of results) {
      const ratio = base && r !== base ? ` | ratio ${(total(r) / total(base)).toFixed(2)}` : '';
      rows.push(
        `${String(participants).padStart(5)} ${r.mixer.padEnd(9)} | Asterisk ${percent(r.asteriskCpu)} + app ${percent(r.appCpu)} = ${percent(total(r))}` +
          ` (${perTick(total(r), participants).toFixed(1)} us/participant/tick) | missing ${(r.missing * 100).toFixed(2)}%` +
          ` (${r.silent} heard nothing, ${r.missedPairs} of ${r.pairs} talkers not heard by a room-mate) | join failures ${participants - r.joined} | Asterisk threads ${r.asteriskThreads}` +
          ` | load ${r.load.toFixed(2)} | load generator ${percent(r.loadgenCpu)}, sends p99 ${r.loadgenLateP99.toFixed(1)} ms late${ratio}`,
      );
      console.log(rows[rows.length - 1]);
    }
  }
  console.log('\nsystem summary (CPU as a share of one core, each process over the measured window):');
  for (const row of rows) console.log(row);
}
