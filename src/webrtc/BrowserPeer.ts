import { createSocket, type Socket } from 'node:dgram';
import { RTCPeerConnection, RTCRtpCodecParameters, type RTCRtpTransceiver, type RTCIceCandidateInit } from 'werift';
import { AppError, errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { TypedEmitter } from '../lib/TypedEmitter';

export interface IceServer {
  urls: string | string[];
  username?: string | undefined;
  credential?: string | undefined;
}

export interface PeerOptions {
  iceServers: readonly IceServer[];
  portRange: [number, number];
  /** The one address offered as host candidate; unset: every interface address. */
  address?: string | undefined;
  bindAddress?: string | undefined;
  /** Local address of the relay socket between the peer and the media thread. */
  relayAddress: string;
  /** No RTP from the browser this long: it is gone. */
  mediaTimeoutMs: number;
  /** ICE and DTLS must be up this soon after the answer. */
  connectTimeoutMs: number;
}

export interface PeerEvents {
  gone: [reason: string];
}

/**
 * PCMU only: browsers all offer it and it is the app mixer's own codec, so the browser's RTP goes to the
 * media thread as it comes (werift has no Opus codec; transcoding would cost more than the whole mix).
 */
const PCMU = (): RTCRtpCodecParameters =>
  new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 });

/** How often the browser's audio is checked for having stopped. */
const WATCH_MS = 500;

/**
 * One browser's WebRTC connection (ICE, DTLS-SRTP) and the relay that makes it an RTP leg like an
 * externalMedia channel: decrypted RTP goes from a local UDP socket to the room's media thread, and the
 * mix the thread sends back to that socket is encrypted to the browser. Sequence numbers and timestamps
 * pass unchanged, so the thread's jitter buffer sees loss and conceals it as for any leg.
 */
export class BrowserPeer {
  readonly events = new TypedEmitter<PeerEvents>();
  private readonly pc: RTCPeerConnection;
  private readonly transceiver: RTCRtpTransceiver;
  private relay: Socket | undefined;
  private target: { host: string; port: number } | undefined;
  private lastRtpAt = 0;
  private watch: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly up: Promise<void>;
  /** Packets relayed each way, for the benchmark and the logs. */
  readonly counts = { fromBrowser: 0, toBrowser: 0 };

  constructor(
    private readonly options: PeerOptions,
    private readonly log: Logger,
  ) {
    const { address } = options;
    this.pc = new RTCPeerConnection({
      codecs: { audio: [PCMU()], video: [] },
      headerExtensions: { audio: [], video: [] },
      iceServers: options.iceServers.map((s) => ({
        urls: s.urls,
        ...(s.username !== undefined ? { username: s.username } : {}),
        ...(s.credential !== undefined ? { credential: s.credential } : {}),
      })),
      icePortRange: options.portRange,
      // With an address configured it is the only host candidate: werift gathers no interface addresses.
      ...(address !== undefined ? { iceUseIpv4: false, iceUseIpv6: false, iceAdditionalHostAddresses: [address] } : {}),
      ...(options.bindAddress !== undefined ? { iceInterfaceAddresses: { udp4: options.bindAddress } } : {}),
    });
    this.transceiver = this.pc.addTransceiver('audio', { direction: 'sendrecv' });
    this.transceiver.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => {
        this.lastRtpAt = Date.now();
        const target = this.target;
        if (!target || !this.relay) return;
        this.counts.fromBrowser++;
        this.relay.send(rtp.serialize(), target.port, target.host);
      });
    });
    this.up = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new AppError('webrtc_failed', `no connection with the browser within ${options.connectTimeoutMs} ms`)),
        options.connectTimeoutMs,
      );
      this.pc.connectionStateChange.subscribe((state) => {
        if (state === 'connected') {
          clearTimeout(timer);
          resolve();
        } else if (state === 'failed' || state === 'closed') {
          clearTimeout(timer);
          reject(new AppError('webrtc_failed', `the browser connection ${state}`));
          this.lose(`the connection ${state}`);
        }
      });
    });
    this.up.catch(() => undefined);
  }

  /** Answers the browser's offer; the answer carries every candidate (no trickle from our side). */
  async answer(offerSdp: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    const answer = await this.pc.createAnswer();
    const gathered = new Promise<void>((resolve) => {
      if (this.pc.iceGatheringState === 'complete') resolve();
      this.pc.iceGatheringStateChange.subscribe((state) => state === 'complete' && resolve());
    });
    await this.pc.setLocalDescription(answer);
    await gathered;
    const sdp = this.pc.localDescription?.sdp;
    if (!sdp) throw new AppError('webrtc_failed', 'no local description after the answer');
    return sdp;
  }

  /** A candidate the browser trickled after its offer. */
  async addCandidate(candidate: RTCIceCandidateInit): Promise<void> {
    if (this.closed) return;
    await this.pc.addIceCandidate(candidate);
  }

  /** Resolves once ICE and DTLS are up; rejects after the connect timeout or on failure. */
  connected(): Promise<void> {
    return this.up;
  }

  /**
   * Starts relaying to the media thread at `target`; resolves with the relay socket's address, which is
   * the leg's remote (the thread accepts RTP only from there).
   */
  async attach(target: { host: string; port: number }): Promise<{ address: string; port: number }> {
    if (this.closed) throw new AppError('webrtc_failed', 'the browser connection is closed');
    this.detach();
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, this.options.relayAddress, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', (error) => this.log.warn({ err: errorMessage(error) }, 'browser relay socket'));
    socket.on('message', (packet, from) => {
      if (from.port !== target.port || from.address !== target.host) return;
      this.counts.toBrowser++;
      this.transceiver.sender
        .sendRtp(packet)
        .catch((error: unknown) => this.log.debug({ err: errorMessage(error) }, 'sending to the browser'));
    });
    this.relay = socket;
    this.target = target;
    this.lastRtpAt = Date.now();
    this.watch = setInterval(() => {
      const silentMs = Date.now() - this.lastRtpAt;
      if (silentMs > this.options.mediaTimeoutMs) this.lose(`no audio from the browser for ${Math.round(silentMs / 1000)} s`);
    }, WATCH_MS);
    const local = socket.address();
    return { address: local.address, port: local.port };
  }

  /** Stops relaying (the leg left the mix); the connection stays. */
  detach(): void {
    if (this.watch) clearInterval(this.watch);
    this.watch = undefined;
    this.target = undefined;
    const relay = this.relay;
    this.relay = undefined;
    relay?.close();
  }

  private lose(reason: string): void {
    if (this.closed) return;
    this.log.info({ reason }, 'browser connection lost');
    this.events.safeEmit('gone', reason);
    void this.close();
  }

  /** Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.detach();
    await this.pc.close().catch((error: unknown) => this.log.debug({ err: errorMessage(error) }, 'closing the peer connection'));
    this.events.removeAllListeners();
  }
}
