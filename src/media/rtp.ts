/** RTP (RFC 3550) parsed by hand into a reused view: the per-packet hot path allocates nothing. */
export interface RtpView {
  payloadType: number;
  marker: boolean;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payloadOffset: number;
  payloadLength: number;
}

export function newRtpView(): RtpView {
  return { payloadType: 0, marker: false, sequence: 0, timestamp: 0, ssrc: 0, payloadOffset: 0, payloadLength: 0 };
}

/** Fills `view`; returns null, or why the packet is not RTP we can use. */
export function parseRtp(packet: Uint8Array, length: number, view: RtpView): string | null {
  if (length < 12) return 'shorter than an RTP header';
  const b0 = packet[0] as number;
  if (b0 >> 6 !== 2) return 'not RTP version 2';
  const b1 = packet[1] as number;
  let offset = 12 + (b0 & 0x0f) * 4;
  if (b0 & 0x10) {
    if (length < offset + 4) return 'truncated header extension';
    offset += 4 + (((packet[offset + 2] as number) << 8) | (packet[offset + 3] as number)) * 4;
  }
  let end = length;
  if (b0 & 0x20) {
    const padding = packet[length - 1] as number;
    if (padding === 0 || padding > length - offset) return 'bad padding';
    end -= padding;
  }
  if (offset > end) return 'truncated header';
  view.payloadType = b1 & 0x7f;
  view.marker = (b1 & 0x80) !== 0;
  view.sequence = ((packet[2] as number) << 8) | (packet[3] as number);
  view.timestamp =
    (((packet[4] as number) << 24) | ((packet[5] as number) << 16) | ((packet[6] as number) << 8) | (packet[7] as number)) >>> 0;
  view.ssrc =
    (((packet[8] as number) << 24) | ((packet[9] as number) << 16) | ((packet[10] as number) << 8) | (packet[11] as number)) >>> 0;
  view.payloadOffset = offset;
  view.payloadLength = end - offset;
  return null;
}

/** Writes a 12-byte header (no CSRC, no extension, no marker: as chan_rtp sends). */
export function writeRtpHeader(packet: Uint8Array, payloadType: number, sequence: number, timestamp: number, ssrc: number): void {
  packet[0] = 0x80;
  packet[1] = payloadType & 0x7f;
  packet[2] = (sequence >> 8) & 0xff;
  packet[3] = sequence & 0xff;
  packet[4] = (timestamp >>> 24) & 0xff;
  packet[5] = (timestamp >>> 16) & 0xff;
  packet[6] = (timestamp >>> 8) & 0xff;
  packet[7] = timestamp & 0xff;
  packet[8] = (ssrc >>> 24) & 0xff;
  packet[9] = (ssrc >>> 16) & 0xff;
  packet[10] = (ssrc >>> 8) & 0xff;
  packet[11] = ssrc & 0xff;
}
