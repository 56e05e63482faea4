/**
 * The "Asterisk side" of the engine benchmark, in its own process: one UDP socket per participant,
 * u-law tone packets every 20 ms on a drift-free clock, and counts of what comes back.
 */
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';

interface Start {
  participants: number;
  enginePort: number;
  seconds: number;
  /** Sent before the measured window, so the engine's receive path is warm and its jitter buffers settled. */
  warmupSeconds: number;
  /** `aligned`: every participant sends at the same instant (worst case); `spread`: each at its own phase, as independent Asterisk channels do. */
  phase: 'aligned' | 'spread';
}

const ULAW = (() => {
  const t = new Uint8Array(16384);
  for (let i = 0; i < 16384; i++) {
    let s = (i - 8192) << 2;
    const sign = s < 0 ? 0x80 : 0;
    if (s < 0) s = -s;
    s = Math.min(s, 32635) + 0x84;
    let e = 7;
    for (let m = 0x4000; (s & m) === 0 && e > 0; m >>= 1) e--;
    t[i] = ~(sign | (e << 4) | ((s >> (e + 3)) & 0x0f)) & 0xff;
  }
  return t;
})();

function tonePayloads(hz: number, frames: number): Buffer[] {
  const out: Buffer[] = [];
  let n = 0;
  for (let f = 0; f < frames; f++) {
    const p = Buffer.alloc(160);
    for (let i = 0; i < 160; i++, n++) p[i] = ULAW[((Math.round(6000 * Math.sin((2 * Math.PI * hz * n) / 8000)) >> 2) + 8192)] as number;
    out.push(p);
  }
  return out;
}

const sockets: Socket[] = [];
const received: number[] = [];
const lastArrival: number[] = [];
const jitter: number[] = [];
/** First and last RTP sequence heard while counting: the packets in between that never came are lost at the sink. */
const firstSeq: number[] = [];
const lastSeq: number[] = [];
let impulseSentAt = 0;
/** Only packets that arrive while the sender runs count: exactly one per 20 ms per participant is the target. */
let counting = false;
const impulseDelays: number[] = [];
/** How late each send burst left against its schedule: the "network jitter" the engine has to absorb. */
const sendLateness: number[] = [];

async function setup(n: number): Promise<number[]> {
  const ports: number[] = [];
  for (let i = 0; i < n; i++) {
    const socket = createSocket('udp4');
    const index = i;
    received.push(0);
    lastArrival.push(0);
    jitter.push(0);
    firstSeq.push(-1);
    lastSeq.push(-1);
    socket.on('message', (msg) => {
      const now = performance.now();
      if (!counting) return;
      received[index] = (received[index] as number) + 1;
      const seq = msg.readUInt16BE(2);
      if (firstSeq[index] === -1) firstSeq[index] = seq;
      lastSeq[index] = seq;
      const last = lastArrival[index] as number;
      if (last > 0) jitter[index] = (jitter[index] as number) + (Math.abs(now - last - 20) - (jitter[index] as number)) / 16;
      lastArrival[index] = now;
      // Participant 1 listens for participant 0's click.
      if (index === 1 && impulseSentAt > 0) {
        for (let k = 12; k < msg.length; k++) {
          const code = msg[k] as number;
          if (code < 0x10 || (code >= 0x80 && code < 0x90)) {
            impulseDelays.push(now - impulseSentAt);
            impulseSentAt = 0;
            break;
          }
        }
      }
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    sockets.push(socket);
    ports.push(socket.address().port);
  }
  return ports;
}

function run(start: Start): void {
  const payloads = tonePayloads(440, 50);
  const quiet = Buffer.alloc(160, 0xff);
  const click = Buffer.alloc(160, 0xff);
  click.fill(0x80, 0, 8);
  const packets = sockets.map(() => Buffer.alloc(172));
  const seqs = sockets.map(() => Math.floor(Math.random() * 65536));
  const origin = performance.now();
  let cpuStart = process.cpuUsage();
  let measuredFrom = origin;
  let k = 0;
  const warmup = start.warmupSeconds * 50;
  const total = warmup + start.seconds * 50;
  // Spread: the participants are cut into 10 groups sending 2 ms apart.
  const groups = start.phase === 'spread' ? 10 : 1;
  let group = 0;
  const tick = (): void => {
    if (k === warmup && group === 0) {
      counting = true;
      cpuStart = process.cpuUsage();
      measuredFrom = performance.now();
      process.send?.({ type: 'measuring' });
    }
    if (counting) sendLateness.push(performance.now() - (origin + k * 20 + (group * 20) / groups));
    const from = Math.floor((group * sockets.length) / groups);
    const to = Math.floor(((group + 1) * sockets.length) / groups);
    for (let i = from; i < to; i++) {
      const p = packets[i] as Buffer;
      p[0] = 0x80;
      p[1] = 0;
      p.writeUInt16BE((seqs[i] as number) & 0xffff, 2);
      p.writeUInt32BE((k * 160) >>> 0, 4);
      p.writeUInt32BE(i + 1, 8);
      seqs[i] = (seqs[i] as number) + 1;
      // Participant 0 stays quiet but clicks once a second; participant 1 is quiet to hear it.
      let payload = payloads[k % 50] as Buffer;
      if (i === 0) payload = k % 50 === 25 ? click : quiet;
      if (i === 1) payload = quiet;
      payload.copy(p, 12);
      (sockets[i] as Socket).send(p, start.enginePort, '127.0.0.1');
      if (i === 0 && k % 50 === 25 && counting) impulseSentAt = performance.now();
    }
    group = (group + 1) % groups;
    if (group === 0) k++;
    const next = origin + k * 20 + (group * 20) / groups;
    if (k < total) setTimeout(tick, Math.max(0, next - performance.now()));
    else
      setTimeout(() => {
        counting = false;
        const span = received.map((_, i) => (((lastSeq[i] as number) - (firstSeq[i] as number)) & 0xffff) + 1);
        const sinkLost = span.map((n, i) => n - (received[i] as number));
        const cpu = process.cpuUsage(cpuStart);
        const cpuPercent = ((cpu.user + cpu.system) / 1000 / (performance.now() - measuredFrom)) * 100;
        process.send?.({ type: 'done', received, jitter, impulseDelays, sendLateness, sinkLost, cpuPercent });
      }, Math.max(0, origin + total * 20 - performance.now()));
  };
  tick();
}

process.on('message', (msg: { type: string } & Start) => {
  if (msg.type === 'setup') void setup(msg.participants).then((ports) => process.send?.({ type: 'ports', ports }));
  else if (msg.type === 'start') run(msg);
  else if (msg.type === 'exit') process.exit(0);
});
