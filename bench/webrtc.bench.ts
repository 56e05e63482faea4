/**
 * What a browser participant costs beside a SIP one: one room of BENCH_BROWSERS participants (50) on one
 * media thread, three ways, the far ends in another process (`webrtcClients.ts`):
 * - `rtp`: plain u-law RTP straight to the media thread, as an externalMedia channel sends it (a SIP caller);
 * - `relayed`: the same through a UDP relay in the app's process, the loopback hop a browser's audio takes;
 * - `webrtc`: werift peers (ICE, DTLS-SRTP), decrypted in the app and relayed to the media thread.
 * The app's CPU (every thread of the process) is measured over the window, after a warm-up.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { join } from 'node:path';
import { silentLogger } from '../src/lib/logger';
import { loopbackThreads } from '../test/support/loopbackEngine';
import { BrowserPeer } from '../src/webrtc/BrowserPeer';

const COUNT = Number(process.env.BENCH_BROWSERS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const WARMUP = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);

type Mode = 'rtp' | 'relayed' | 'webrtc';

interface Result {
  mode: Mode;
  cpuPercent: number;
  clientCpuPercent: number;
  inPerSecond: number;
  receivedPerSecond: number;
  lost: number;
  concealed: number;
  joinMs: number[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

function message<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: { type: string }): void => {
      if (m.type !== type) return;
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
  });
}

/** A relay socket per leg, as BrowserPeer keeps one: far end <-> here <-> media thread. */
async function relay(enginePort: number, far: { host: string; port: number }): Promise<{ socket: Socket; port: number }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  socket.on('message', (packet, from) => {
    if (from.port === enginePort) socket.send(packet, far.port, far.host);
    else socket.send(packet, enginePort, '127.0.0.1');
  });
  return { socket, port: socket.address().port };
}

async function run(mode: Mode): Promise<Result> {
  const engine = loopbackThreads();
  const [enginePort] = (await engine.start()) as [number];
  const room = engine.createRoom(`bench-${mode}`);
  const child = fork(join(__dirname, 'webrtcClients.ts'), [], { execArgv: ['-r', 'tsx/cjs'], stdio: 'inherit' });
  const peers: BrowserPeer[] = [];
  const sockets: Socket[] = [];
  const joinMs: number[] = [];
  if (mode === 'webrtc') {
    const log = silentLogger();
    let next = 0;
    const offers = new Map<number, string>();
    const waiting = new Map<number, (sdp: string) => void>();
    child.on('message', (m: { type: string; id: number; sdp: string }) => {
      if (m.type !== 'offer') return;
      const wait = waiting.get(m.id);
      if (wait) wait(m.sdp);
      else offers.set(m.id, m.sdp);
    });
    child.send({ type: 'start-webrtc', count: COUNT });
    // One after the other, as people arrive: each join time is the app's, not a queue's.
    for (; next < COUNT; next++) {
      const id = next;
      const sdp = offers.get(id) ?? (await new Promise<string>((resolve) => waiting.set(id, resolve)));
      const started = performance.now();
      const peer = new BrowserPeer(
        {
          iceServers: [],
          portRange: [42000, 42999],
          address: '127.0.0.1',
          relayAddress: '127.0.0.1',
          mediaTimeoutMs: 60000,
          connectTimeoutMs: 10000,
        },
        log,
      );
      peers.push(peer);
      child.send({ type: 'answer', id, sdp: await peer.answer(sdp) });
      await peer.connected();
      joinMs.push(performance.now() - started);
      const leg = room.addLeg({ participantId: `b${id}`, codec: 'ulaw' });
      const local = await peer.attach({ host: '127.0.0.1', port: enginePort });
      leg.setRemote(local.address, local.port);
    }
  } else {
    child.send({ type: 'start-rtp', count: COUNT });
    const { ports } = await message<{ ports: number[] }>(child, 'ports');
    const targets: { host: string; port: number }[] = [];
    for (const [i, port] of ports.entries()) {
      const leg = room.addLeg({ participantId: `p${i}`, codec: 'ulaw' });
      if (mode === 'rtp') {
        leg.setRemote('127.0.0.1', port);
        targets.push({ host: '127.0.0.1', port: enginePort });
      } else {
        const r = await relay(enginePort, { host: '127.0.0.1', port });
        sockets.push(r.socket);
        leg.setRemote('127.0.0.1', r.port);
        targets.push({ host: '127.0.0.1', port: r.port });
      }
    }
    child.send({ type: 'targets', targets });
  }
  await sleep(WARMUP * 1000);
  const report = async () => {
    child.send({ type: 'report' });
    return message<{ received: number; cpuMicros: number }>(child, 'report');
  };
  engine.resetStats();
  const before = engine.stats();
  const clientBefore = await report();
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  await sleep(SECONDS * 1000);
  const cpu = process.cpuUsage(cpuStart);
  const wallMs = performance.now() - wallStart;
  const clientAfter = await report();
  const after = engine.stats();
  child.kill();
  for (const peer of peers) await peer.close();
  for (const socket of sockets) socket.close();
  await engine.close();
  return {
    mode,
    cpuPercent: ((cpu.user + cpu.system) / 1000 / wallMs) * 100,
    clientCpuPercent: ((clientAfter.cpuMicros - clientBefore.cpuMicros) / 1000 / wallMs) * 100,
    inPerSecond: ((after.packetsIn - before.packetsIn) / wallMs) * 1000,
    receivedPerSecond: ((clientAfter.received - clientBefore.received) / wallMs) * 1000,
    lost: after.lost - before.lost,
    concealed: after.concealed - before.concealed,
    joinMs,
  };
}

export async function main(): Promise<void> {
  const results: Result[] = [];
  for (const mode of ['rtp', 'relayed', 'webrtc'] as const) results.push(await run(mode));
  console.log(`webrtc: one room of ${COUNT} talkers on one media thread, ${SECONDS} s measured after ${WARMUP} s warm-up`);
  for (const r of results) {
    console.log(
      `  ${r.mode.padEnd(7)}: app CPU ${r.cpuPercent.toFixed(1)}% of one core = ${(r.cpuPercent / COUNT).toFixed(3)}% per participant; far end ${r.clientCpuPercent.toFixed(1)}%; media thread in ${r.inPerSecond.toFixed(0)} pkt/s, far end got ${r.receivedPerSecond.toFixed(0)} pkt/s (target ${COUNT * 50}); lost ${r.lost}, concealed ${r.concealed}`,
    );
  }
  const [rtp, relayed, webrtc] = results as [Result, Result, Result];
  console.log(
    `  the relay hop: +${((relayed.cpuPercent - rtp.cpuPercent) / COUNT).toFixed(3)}% of a core per participant; WebRTC in all: ${(webrtc.cpuPercent / rtp.cpuPercent).toFixed(1)}x a SIP participant`,
  );
  const j = webrtc.joinMs;
  console.log(
    `  WebRTC join in the app (offer to ICE+DTLS connected), one after another: p50 ${pct(j, 50).toFixed(0)} ms, p95 ${pct(j, 95).toFixed(0)} ms, max ${pct(j, 100).toFixed(0)} ms`,
  );
}
