/**
 * The far end for the webrtc benchmark, in its own process so its CPU is not counted as the app's:
 * N simulated browsers (werift peers offering PCMU) or N plain RTP endpoints (as externalMedia
 * channels are), each saying a tone every 20 ms and counting what comes back.
 */
import { createSocket, type Socket } from 'node:dgram';
import { RTCPeerConnection, RTCRtpCodecParameters, type RTCRtpTransceiver } from 'werift';
import { toneFrame } from '../test/support/rtpPeer';

type FromParent =
  | { type: 'start-rtp'; count: number }
  | { type: 'targets'; targets: { host: string; port: number }[] }
  | { type: 'start-webrtc'; count: number }
  | { type: 'answer'; id: number; sdp: string }
  | { type: 'report' };

const send = (message: Record<string, unknown>): void => void process.send?.(message);
const senders: ((seq: number) => void)[] = [];
let received = 0;

/** One clock for every endpoint, as one sound card would be: a late timer sends what it owes. */
function pace(): void {
  const start = Date.now();
  let sent = 0;
  setInterval(() => {
    const due = Math.floor((Date.now() - start) / 20);
    for (; sent <= due; sent++) for (const s of senders) s(sent);
  }, 5);
}

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
  const pc = new RTCPeerConnection({
    codecs: { audio: [new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 })], video: [] },
    headerExtensions: { audio: [], video: [] },
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ['127.0.0.1'],
  });
  const transceiver = pc.addTransceiver('audio', { direction: 'sendrecv' });
  transceiver.onTrack.subscribe((track) => track.onReceiveRtp.subscribe(() => received++));
  transceivers.set(id, { pc, transceiver });
  const gathered = new Promise<void>((resolve) => pc.iceGatheringStateChange.subscribe((s) => s === 'complete' && resolve()));
  await pc.setLocalDescription(await pc.createOffer());
  await gathered;
  pc.connectionStateChange.subscribe((state) => {
    if (state !== 'connected') return;
    const ssrc = 5000 + id;
    senders.push((seq) => void transceiver.sender.sendRtp(toneFrame(300 + id * 20, seq, ssrc)));
  });
  send({ type: 'offer', id, sdp: pc.localDescription!.sdp });
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
