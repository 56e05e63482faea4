import { randomInt } from 'node:crypto';
import { TypedEmitter } from '../lib/TypedEmitter';
import { JitterBuffer, type JitterStats } from './JitterBuffer';
import { RtpSource } from './RtpSource';
import type { MixParty } from './mixFrame';
import type { Player } from './sounds';
import { TalkDetector } from './TalkDetector';

export type Codec = 'ulaw';

/** The app mixer's period: 20 ms frames, as Asterisk's externalMedia sends them. */
export const PTIME_MS = 20;
/** Samples in one frame at 8 kHz. */
export const FRAME = 160;
const HEADER = 12;

/** Talk and listen gains as linear amplitude factors: media knows numbers, not the domain's steps. */
export interface LegGain {
  talk?: number;
  listen?: number;
}

export interface LegStats extends JitterStats {
  sent: number;
}

/** One participant's RTP leg: jitter buffer in, encoded frames out, gains, talk detection. */
export class MediaLeg implements MixParty {
  readonly events = new TypedEmitter<{ talking: [talking: boolean] }>();
  readonly source = new RtpSource();
  /** The packet after a wild jump, kept until the next one confirms it (or shows it was not ours). */
  readonly held = new Uint8Array(FRAME);
  heldSeq = -1;
  readonly jitter = new JitterBuffer(FRAME);
  readonly input = new Int16Array(FRAME);
  readonly payload = new Uint8Array(FRAME);
  readonly detector = new TalkDetector();
  /** Two packet buffers used in turn: a datagram is handed to the kernel before the next tick reuses one. */
  readonly packets = [Buffer.alloc(HEADER + FRAME), Buffer.alloc(HEADER + FRAME)];
  /** The payload of each packet, where the mix writes what this participant hears. */
  readonly payloads = this.packets.map((p) => p.subarray(HEADER));
  packetIndex = 0;
  out: Uint8Array = this.payloads[0] as Uint8Array;
  sequence = randomInt(0, 65536);
  timestamp = randomInt(0, 2 ** 31);
  readonly ssrc = randomInt(1, 2 ** 31);
  address: string | undefined;
  port = 0;
  talk = true;
  listen = true;
  talkGain = 1;
  listenGain = 1;
  /** A prompt or music only this participant hears, instead of the conference. */
  private: Player | undefined;
  music: Player | undefined;
  /** This tick's frame of `private` or `music`, for the mix. */
  readonly ownFrame = new Int16Array(FRAME);
  own: Int16Array | null = null;
  /** Whether this frame's input holds audio (a frame or concealment). */
  hasInput = false;
  sent = 0;

  constructor(
    readonly participantId: string,
    readonly codec: Codec,
    private readonly onRemote: (leg: MediaLeg) => void,
  ) {}

  setRemote(address: string, port: number): void {
    this.address = address;
    this.port = port;
    this.source.reset();
    this.heldSeq = -1;
    this.onRemote(this);
  }

  setTalk(enabled: boolean): void {
    this.talk = enabled;
  }

  setListen(enabled: boolean): void {
    this.listen = enabled;
  }

  /** Linear amplitude factors (1 is unity); the backend converts its own steps. */
  setGain(gain: LegGain): void {
    if (gain.talk !== undefined) this.talkGain = gain.talk;
    if (gain.listen !== undefined) this.listenGain = gain.listen;
  }

  stats(): LegStats {
    return { ...this.jitter.stats, sent: this.sent };
  }
}
