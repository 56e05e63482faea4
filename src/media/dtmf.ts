/**
 * DTMF from RFC 4733 telephone-event packets, for legs whose RTP comes straight from the phone (SIP direct
 * media): Asterisk sees none of it then, so ARI reports no ChannelDtmfReceived and the engine reads the digits.
 * A digit is reported once, at its end as ARI does (FINDINGS "DTMF events fire at the end of each digit").
 */

/** The payload type Asterisk and most phones give telephone-event/8000 when the SDP names none. */
export const DEFAULT_TELEPHONE_EVENT_PT = 101;

/** RFC 4733 section 3.2: events 0-9, 10 `*`, 11 `#`, 12-15 A-D; the rest (flash, tones) are not digits. */
const DIGITS = '0123456789*#ABCD';

/**
 * Audio packets after an event's last packet, with no end bit seen, before the digit is taken as ended: all three
 * end packets were lost, and the phone has gone back to audio (10 packets, 200 ms).
 */
export const LOST_END_AUDIO_PACKETS = 10;

export interface TelephoneEvent {
  event: number;
  end: boolean;
  volume: number;
  /** In RTP timestamp units (8 kHz: 8 per ms). */
  duration: number;
}

/** The 4-byte event payload (RFC 4733 2.3), or undefined when it is shorter. */
export function parseTelephoneEvent(packet: Uint8Array, offset: number, length: number): TelephoneEvent | undefined {
  if (length < 4) return undefined;
  const flags = packet[offset + 1] as number;
  return {
    event: packet[offset] as number,
    end: (flags & 0x80) !== 0,
    volume: flags & 0x3f,
    duration: ((packet[offset + 2] as number) << 8) | (packet[offset + 3] as number),
  };
}

export interface Digit {
  digit: string;
  durationMs: number;
}

/** Serial-number order (RFC 1982) for 32-bit timestamps: whether `a` is after `b`. */
const after32 = (a: number, b: number) => a !== b && (a - b) >>> 0 < 0x80000000;

/**
 * One leg's digits. An event is its RTP timestamp (every packet of one digit carries the same one, RFC 4733 2.5.1):
 * retransmitted end packets, and packets of an event already reported that arrive late or out of order, report
 * nothing; an event whose end packets were all lost is reported when the next event starts or when audio has
 * come back for LOST_END_AUDIO_PACKETS packets.
 */
export class DtmfReceiver {
  /** The open event, by timestamp; -1 when none. */
  private open = -1;
  private openEvent = 0;
  private openDuration = 0;
  /** The last event reported (or given up), so its stragglers are ignored; -1 before the first. */
  private done = -1;
  private audioSinceEvent = 0;

  constructor(private readonly onDigit: (digit: Digit) => void) {}

  /** A telephone-event packet of the leg's stream. */
  event(timestamp: number, payload: TelephoneEvent): void {
    if (this.done >= 0 && (timestamp === this.done || after32(this.done, timestamp))) return;
    if (this.open >= 0 && timestamp !== this.open) {
      // An older event's packet after a newer one began: it was given up with it.
      if (after32(this.open, timestamp)) return;
      this.finish();
    }
    if (this.open < 0) {
      this.open = timestamp;
      this.openEvent = payload.event;
      this.openDuration = 0;
    }
    this.audioSinceEvent = 0;
    if (payload.duration > this.openDuration) this.openDuration = payload.duration;
    if (payload.end) this.finish();
  }

  /** An audio packet of the same stream: after enough of them, an event left open lost its end packets. */
  audio(): void {
    if (this.open >= 0 && ++this.audioSinceEvent >= LOST_END_AUDIO_PACKETS) this.finish();
  }

  /** The stream restarted (a new remote or SSRC): an open event is dropped, and timestamps start afresh. */
  reset(): void {
    this.open = -1;
    this.done = -1;
    this.audioSinceEvent = 0;
  }

  private finish(): void {
    const digit = DIGITS[this.openEvent];
    const durationMs = Math.round(this.openDuration / 8);
    this.done = this.open;
    this.open = -1;
    if (digit !== undefined) this.onDigit({ digit, durationMs });
  }
}
