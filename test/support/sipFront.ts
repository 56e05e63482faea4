/**
 * Debian's kamailio running the shipped kamailio/kamailio.cfg, and sipp as stand-in Asterisk nodes and as
 * callers, each on free ports in one temp directory. Every process is stopped by `SipLab.stop()`, which the
 * tests call in `afterEach` whatever happened, and by the test process's exit if it is interrupted; they stay
 * in the test's process group, so a Ctrl-C reaches them too.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const KAMAILIO_CFG = join(__dirname, '../../kamailio/kamailio.cfg');
export const SCENARIOS = join(__dirname, '../fixtures/sipp');
const KAMAILIO = '/usr/sbin/kamailio';
const KAMCMD = '/usr/sbin/kamcmd';
const SIPP = '/usr/bin/sipp';

export function sipLabAvailable(): boolean {
  return [KAMAILIO, KAMCMD, SIPP].every((p) => existsSync(p));
}

/** A UDP port nobody holds at this moment on `host` (bound to 0 and released). */
export async function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, host, resolve);
  });
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** A line of Kamailio's log, stamped when the test read it. */
export interface LogLine {
  at: number;
  text: string;
}

/** What the dispatcher says of one node: `A` active, `I` inactive, `T` trying; `P` probed. */
export type DispatcherState = Map<string, string>;

export interface Kamailio {
  port: number;
  log: LogLine[];
  dispatcher(): Promise<DispatcherState>;
  rpc(...args: string[]): Promise<string>;
}

export interface SippProcess {
  proc: ChildProcess;
  exited: Promise<number | null>;
}

export interface Node {
  name: string;
  uri: string;
  port: number;
  /** Call-IDs this node answered (or refused, for the busy scenario), from its sipp log. */
  calls(): string[];
  /** The Record-Route each answered call arrived with ('' for none). */
  recordRoutes(): string[];
  kill(): Promise<void>;
  restart(): Promise<void>;
}

export interface CallRun {
  successful: number;
  failed: number;
  exitCode: number | null;
  /** INVITE sent to 200 received per call, ms (only for timed runs). */
  setupMs: number[];
}

/** Every process a lab started and has not stopped: stopped too when the test run exits or is interrupted. */
const LIVE = new Set<ChildProcess>();
function stopLive(): void {
  for (const proc of LIVE) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
}
process.once('exit', stopLive);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopLive();
    // then die of the signal as without this handler
    process.kill(process.pid, signal);
  });
}

export class SipLab {
  readonly dir = mkdtempSync(join(tmpdir(), 'meetme-kamailio-'));
  private readonly procs = new Set<ChildProcess>();
  private seq = 0;

  /** Starts a node (sipp UAS answering OPTIONS with -aa) on a free port. */
  async node(name: string, scenario = 'node-uas.xml'): Promise<Node> {
    const port = await freeUdpPort();
    const logFile = join(this.dir, `${name}.log`);
    writeFileSync(logFile, '');
    let current: SippProcess | undefined;
    const start = async (): Promise<void> => {
      current = this.sipp([
        '-sf',
        join(SCENARIOS, scenario),
        '-i',
        '127.0.0.1',
        '-p',
        String(port),
        '-mp',
        String(await freeUdpPort()),
        '-aa',
        '-trace_logs',
        '-log_file',
        logFile,
      ]);
    };
    await start();
    const lines = (): RegExpExecArray[] =>
      readFileSync(logFile, 'utf8')
        .split('\n')
        .map((l) => /^(?:answered|refused) (\S+)(?: rr=(\S*))?/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null);
    return {
      name,
      port,
      uri: `sip:127.0.0.1:${port}`,
      calls: () => lines().map((m) => m[1]!),
      recordRoutes: () => lines().map((m) => m[2] ?? ''),
      kill: async () => {
        if (current) await this.kill(current, 'SIGKILL');
        current = undefined;
      },
      restart: start,
    };
  }

  /**
   * Starts kamailio with the shipped configuration, these nodes in its list, `trusted` addresses exempt from
   * the flood limit and `defines` as -A.
   */
  async kamailio(nodes: Node[], defines: string[] = [], trusted: string[] = []): Promise<Kamailio> {
    const port = await freeUdpPort();
    const name = `kamailio-${++this.seq}`;
    const list = join(this.dir, `${name}.list`);
    writeFileSync(list, nodes.map((n) => `1 ${n.uri} 0 0 node=${n.name}\n`).join(''));
    const trustedList = join(this.dir, `${name}.trusted`);
    writeFileSync(trustedList, ['# exempt from pike', ...trusted.map((a) => `1 ${a}`)].join('\n') + '\n');
    const ctl = `unix:${join(this.dir, `${name}.ctl`)}`;
    const args = [
      '-DD',
      '-E',
      '-f',
      KAMAILIO_CFG,
      '-Y',
      this.dir,
      '-P',
      join(this.dir, `${name}.pid`),
      '-w',
      this.dir,
      '-m',
      '32',
      '-M',
      '8',
      '-A',
      `SIP_PORT=${port}`,
      '-A',
      `DS_LIST="${list}"`,
      '-A',
      `CTL_SOCKET="${ctl}"`,
      '-A',
      `TRUSTED_LIST="${trustedList}"`,
      '-A',
      'CHILDREN=2',
      ...defines.flatMap((d) => ['-A', d]),
    ];
    const proc = spawn(KAMAILIO, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.procs.add(proc);
    LIVE.add(proc);
    const log: LogLine[] = [];
    let rest = '';
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      const at = Date.now();
      for (const text of lines) log.push({ at, text });
    });
    const rpc = async (...cmd: string[]): Promise<string> => (await run(KAMCMD, ['-s', ctl, ...cmd], { timeout: 5000 })).stdout;
    const dispatcher = async (): Promise<DispatcherState> => {
      const state = new Map<string, string>();
      for (const m of (await rpc('dispatcher.list')).matchAll(/URI: (\S+)\s+FLAGS: (\S+)/g)) state.set(m[1]!, m[2]!);
      return state;
    };
    const started = Date.now();
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`kamailio exited ${proc.exitCode}:\n${log.map((l) => l.text).join('\n')}`);
      try {
        const state = await dispatcher();
        if (nodes.every((n) => state.get(n.uri)?.startsWith('A'))) break;
      } catch {
        // the control socket is not there yet
      }
      if (Date.now() - started > 10000) throw new Error('kamailio did not come up with every node active');
      await sleep(50);
    }
    return { port, log, dispatcher, rpc };
  }

  /**
   * Places `calls` calls to conference `service` at `target` (Kamailio's port, or a node's) at `rate` per
   * second and waits for them. With `timed`, sipp traces every message and `setupMs` is each call's INVITE
   * to 200, to the microsecond of sipp's clock.
   */
  async calls(target: number, service: string, calls: number, rate = 10, timed = false): Promise<CallRun> {
    const name = `caller-${++this.seq}`;
    const trace = join(this.dir, `${name}.messages`);
    const p = this.sipp([
      '-sf',
      join(SCENARIOS, 'caller-uac.xml'),
      `127.0.0.1:${target}`,
      '-s',
      service,
      '-i',
      '127.0.0.1',
      '-p',
      String(await freeUdpPort()),
      '-mp',
      String(await freeUdpPort()),
      '-m',
      String(calls),
      '-r',
      String(rate),
      '-l',
      String(Math.max(rate * 4, 10)),
      '-timeout',
      '60',
      '-trace_stat',
      '-stf',
      join(this.dir, `${name}.csv`),
      ...(timed ? ['-trace_msg', '-message_file', trace] : []),
    ]);
    const exitCode = await p.exited;
    const stats = readFileSync(join(this.dir, `${name}.csv`), 'utf8')
      .trim()
      .split('\n');
    const header = stats[0]!.split(';');
    const last = stats[stats.length - 1]!.split(';');
    const column = (n: string): number => Number(last[header.indexOf(n)]);
    return {
      successful: column('SuccessfulCall(C)'),
      failed: column('FailedCall(C)'),
      exitCode,
      setupMs: timed ? setupTimes(readFileSync(trace, 'utf8')) : [],
    };
  }

  sipp(args: string[]): SippProcess {
    const proc = spawn(SIPP, [...args, '-nostdin'], { cwd: this.dir, stdio: 'ignore' });
    this.procs.add(proc);
    LIVE.add(proc);
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    return { proc, exited };
  }

  private async kill(p: SippProcess, signal: NodeJS.Signals): Promise<void> {
    if (p.proc.exitCode === null && p.proc.signalCode === null && p.proc.pid !== undefined) process.kill(p.proc.pid, signal);
    await p.exited;
    this.procs.delete(p.proc);
    LIVE.delete(p.proc);
  }

  /** Stops every process this lab started, then removes the directory. */
  async stop(): Promise<void> {
    await Promise.all(
      [...this.procs].map(async (proc) => {
        if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
        const gone = new Promise((resolve) => proc.once('exit', resolve));
        try {
          // kamailio's main process stops its children on SIGTERM
          process.kill(proc.pid, 'SIGTERM');
        } catch {
          return;
        }
        const timer = setTimeout(() => {
          try {
            process.kill(proc.pid!, 'SIGKILL');
          } catch {
            // already gone
          }
        }, 3000);
        await gone;
        clearTimeout(timer);
      }),
    );
    for (const proc of this.procs) LIVE.delete(proc);
    this.procs.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** From a sipp message trace: per Call-ID, the first INVITE sent to the first 200 for it received, ms. */
function setupTimes(trace: string): number[] {
  const sent = new Map<string, number>();
  const setup = new Map<string, number>();
  for (const block of trace.split(/^-{20,} /m).slice(1)) {
    const stamp = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d\.\d+)/.exec(block);
    const callId = /^Call-ID: *(\S+)/im.exec(block)?.[1];
    if (!stamp || !callId) continue;
    const [h, m, sec] = stamp[2]!.split(':').map(Number) as [number, number, number];
    const at = (h * 3600 + m * 60 + sec) * 1000;
    const start = block.split('\n').find((l, i) => i > 1 && l.trim() !== '') ?? '';
    if (block.includes('message sent') && start.startsWith('INVITE ') && !sent.has(callId)) sent.set(callId, at);
    if (block.includes('message received') && start.startsWith('SIP/2.0 200') && /^CSeq: *\d+ INVITE/im.test(block)) {
      const t0 = sent.get(callId);
      if (t0 !== undefined && !setup.has(callId)) setup.set(callId, at - t0);
    }
  }
  return [...setup.values()];
}
