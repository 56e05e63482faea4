/**
 * The far end for the webrtc benchmark, in its own process so its CPU is not counted as the app's:
 * N simulated browsers (werift peers offering PCMU) or N plain RTP endpoints (as externalMedia
 * channels are), each saying a tone every 20 ms and counting what comes back.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { RTCPeerConnection, RTCRtpTransceiver } from 'werift';
import { every20ms, toneFrame } from '../test/support/rtpPeer';
import { browserPeerConnection, gatheredOffer } from '../test/support/webrtcPeer';

type FromParent =
  | { type: 'start-rtp'; count: number }
  | { type: 'targets'; targets: { host: string; port: number }[] }
  | { type: 'start-webrtc'; count: number }
  | { type: 'answer'; id: number; sdp: string }
  | { type: 'report' };

const send = (message: Record<string, unknown>): void => void process.send?.(message);
const senders: ((seq: number) => void)[] = [];
let received = 0;

/** One clock for every endpoint, as one sound card would be. */
const pace = (): void => void every20ms((seq) => senders.forEach((s) => s(seq)));

async function startRtp(count: number): Promise<void> {
  const sockets: Socket[] = [];
  for (let i = 0; i < count; i++) {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    socket.on('message', () => received++);
    sockets.push(socket);
  }
  send({ type: 'ports', ports: sockets.map((s) => s.address().port) });
  const { targets } = await new Promise<{ targets: { host: string; port: number }[] }>((resolve) =>
    process.once('message', (m: FromParent) => m.type === 'targets' && resolve(m)),
  );
  sockets.forEach((socket, i) => {
    const ssrc = 1000 + i;
    const target = targets[i]!;
    senders.push((seq) => socket.send(toneFrame(300 + i * 20, seq, ssrc), target.port, target.host));
  });
  pace();
}

const transceivers = new Map<number, { pc: RTCPeerConnection; transceiver: RTCRtpTransceiver }>();

async function offer(id: number): Promise<void> {
  const pc = browserPeerConnection();
  const transceiver = pc.addTransceiver('audio', { direction: 'sendrecv' });
  transceiver.onTrack.subscribe((track) => track.onReceiveRtp.subscribe(() => received++));
  transceivers.set(id, { pc, transceiver });
  const sdp = await gatheredOffer(pc);
  pc.connectionStateChange.subscribe((state) => {
    if (state !== 'connected') return;
    const ssrc = 5000 + id;
    senders.push((seq) => void transceiver.sender.sendRtp(toneFrame(300 + id * 20, seq, ssrc)));
  });
  send({ type: 'offer', id, sdp });
}

process.on('message', (m: FromParent) => {
  switch (m.type) {
    case 'start-rtp':
      void startRtp(m.count);
      break;
    case 'start-webrtc':
      pace();
      for (let id = 0; id < m.count; id++) void offer(id);
      break;
    case 'answer':
      void transceivers.get(m.id)?.pc.setRemoteDescription({ type: 'answer', sdp: m.sdp });
      break;
    case 'report': {
      const cpu = process.cpuUsage();
      send({ type: 'report', received, cpuMicros: cpu.user + cpu.system, uptimeMs: process.uptime() * 1000 });
      break;
    }
    default:
      break;
  }
});
