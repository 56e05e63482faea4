import { createSocket, type Socket } from 'node:dgram';
import { ULAW_DECODE, ulawEncodeSample } from '../../src/media/ulaw';
import { sine } from './audio';

/** A loopback UDP socket standing in for one externalMedia channel: every u-law RTP frame it gets is decoded into `heard`. */
export async function listeningPeer(heard: Int16Array[]): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  socket.on('message', (msg) => {
    const pcm = new Int16Array(msg.length - 12);
    for (let k = 0; k < pcm.length; k++) pcm[k] = ULAW_DECODE[msg[12 + k]!]!;
    heard.push(pcm);
  });
  return socket;
}

/**
 * Calls `tick(n)` for n = 0, 1, 2, ... on one drift-free 20 ms clock, as chan_rtp or a sound card sends: a late
 * timer sends what it owes. Returns the stop.
 */
export function every20ms(tick: (n: number) => void): () => void {
  const start = performance.now();
  let sent = 0;
  const timer = setInterval(() => {
    const due = Math.floor((performance.now() - start) / 20);
    for (; sent <= due; sent++) tick(sent);
  }, 5);
  return () => clearInterval(timer);
}

/** Frame `seq` of a continuous tone as one u-law RTP packet (PT 0, 20 ms). */
export function toneFrame(hz: number, seq: number, ssrc: number): Buffer {
  const pcm = sine(hz, 160, 8000, 8000, (2 * Math.PI * hz * seq * 160) / 8000);
  const packet = Buffer.alloc(172);
  packet[0] = 0x80;
  packet.writeUInt16BE(seq & 0xffff, 2);
  packet.writeUInt32BE((seq * 160) >>> 0, 4);
  packet.writeUInt32BE(ssrc, 8);
  for (let k = 0; k < 160; k++) packet[12 + k] = ulawEncodeSample(pcm[k]!);
  return packet;
}
