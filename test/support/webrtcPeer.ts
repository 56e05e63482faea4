import { RTCPeerConnection, RTCRtpCodecParameters, type RTCRtpTransceiver } from 'werift';
import WebSocket from 'ws';
import { ULAW_DECODE } from '../../src/media/ulaw';
import { every20ms, toneFrame } from './rtpPeer';

/** A browser's peer connection on loopback, offering PCMU only (as the app answers), with no header extensions. */
export function browserPeerConnection(): RTCPeerConnection {
  return new RTCPeerConnection({
    codecs: { audio: [new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 })], video: [] },
    headerExtensions: { audio: [], video: [] },
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: ['127.0.0.1'],
  });
}

/** The offer of `pc` once its candidates are gathered (no trickle: the app takes one offer). */
export async function gatheredOffer(pc: RTCPeerConnection): Promise<string> {
  const gathered = new Promise<void>((resolve) => pc.iceGatheringStateChange.subscribe((s) => s === 'complete' && resolve()));
  await pc.setLocalDescription(await pc.createOffer());
  await gathered;
  return pc.localDescription!.sdp;
}

export interface SimBrowserOptions {
  /** `ws://host:port/join/<token>/signal` */
  url: string;
  /** Tone the "microphone" says; null: silence frames. */
  toneHz: number | null;
  /** Typed when the app asks for digits. */
  pin?: string;
  /** Every n-th frame is never sent (a lossy network). */
  dropEvery?: number;
}

/**
 * A browser for tests and the benchmark: a werift peer that speaks the join page's protocol, offers PCMU,
 * sends a tone every 20 ms once connected and decodes everything it hears.
 */
export class SimBrowser {
  readonly heard: Int16Array[] = [];
  readonly messages: Record<string, unknown>[] = [];
  participantId: string | undefined;
  closeCode: number | undefined;
  private readonly socket: WebSocket;
  private pc: RTCPeerConnection | undefined;
  private transceiver: RTCRtpTransceiver | undefined;
  private stopPacing: (() => void) | undefined;
  private seq = Math.floor(Math.random() * 60000);
  private readonly ssrc = 1 + Math.floor(Math.random() * 2 ** 30);
  private sending = true;
  readonly closed: Promise<number>;

  constructor(private readonly options: SimBrowserOptions) {
    this.socket = new WebSocket(options.url);
    this.socket.on('message', (data: Buffer) => void this.onMessage(JSON.parse(data.toString('utf8')) as Record<string, unknown>));
    this.closed = new Promise((resolve) =>
      this.socket.on('close', (code) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
  }

  private send(message: Record<string, unknown>): void {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
  }

  private async onMessage(message: Record<string, unknown>): Promise<void> {
    this.messages.push(message);
    switch (message.type) {
      case 'hello':
        return this.offer();
      case 'answer':
        return this.pc?.setRemoteDescription({ type: 'answer', sdp: message.sdp as string });
      case 'collect':
        this.send({ type: 'digits', digits: this.options.pin ?? '' });
        return;
      case 'joined':
        this.participantId = message.participantId as string;
        return;
      case 'bye':
        this.stopMedia();
        return;
      default:
        return;
    }
  }

  private async offer(): Promise<void> {
    const pc = browserPeerConnection();
    this.pc = pc;
    const transceiver = pc.addTransceiver('audio', { direction: 'sendrecv' });
    this.transceiver = transceiver;
    transceiver.onTrack.subscribe((track) =>
      track.onReceiveRtp.subscribe((rtp) => {
        const pcm = new Int16Array(rtp.payload.length);
        for (let k = 0; k < pcm.length; k++) pcm[k] = ULAW_DECODE[rtp.payload[k]!]!;
        this.heard.push(pcm);
      }),
    );
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected') this.startMedia();
    });
    this.send({ type: 'offer', sdp: await gatheredOffer(pc) });
  }

  private startMedia(): void {
    if (this.stopPacing) return;
    // Paced by the clock, as a browser's audio device is.
    this.stopPacing = every20ms(() => {
      const seq = this.seq++;
      if (!this.sending || (this.options.dropEvery !== undefined && seq % this.options.dropEvery === 0)) return;
      const frame = this.options.toneHz !== null ? toneFrame(this.options.toneHz, seq, this.ssrc) : toneFrame(0, seq, this.ssrc);
      void this.transceiver?.sender.sendRtp(frame);
    });
  }

  private stopMedia(): void {
    this.stopPacing?.();
    this.stopPacing = undefined;
  }

  /** Drops every outgoing packet from now on (a lost network), keeping the socket open. */
  goSilent(): void {
    this.sending = false;
  }

  heardSamples(lastSamples: number): Int16Array {
    const all = new Int16Array(this.heard.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of this.heard) {
      all.set(c, at);
      at += c.length;
    }
    return all.subarray(Math.max(0, all.length - lastSamples));
  }

  clearHeard(): void {
    this.heard.length = 0;
  }

  mute(muted: boolean): void {
    this.send({ type: 'mute', muted });
  }

  leave(): void {
    this.send({ type: 'leave' });
  }

  /** Vanishes without a word: no signalling close, no DTLS close, media stops. */
  async close(): Promise<void> {
    this.stopMedia();
    this.socket.close();
    await this.pc?.close();
  }
}
