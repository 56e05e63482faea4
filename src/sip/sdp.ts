/** Where one side of a call takes RTP. */
export interface MediaAddress {
  address: string;
  port: number;
}

/** An offer's audio address, and the payload type it gives telephone-event/8000 (RFC 4733), if any. */
export interface Offer extends MediaAddress {
  telephoneEvent?: number;
}

/** The audio address of an SDP offer that includes PCMU (payload type 0), or undefined. */
export function parseOffer(sdp: string): Offer | undefined {
  let session: string | undefined;
  let media: string | undefined;
  let port: number | undefined;
  let pcmu = false;
  let inAudio = false;
  let telephoneEvent: number | undefined;
  for (const line of sdp.split(/\r?\n/)) {
    const event = inAudio ? /^a=rtpmap:(\d+) telephone-event\/8000/i.exec(line) : null;
    if (event) telephoneEvent = Number(event[1]);
    if (line.startsWith('m=')) {
      const m = /^m=audio (\d+) RTP\/AVP((?: \d+)*)/.exec(line);
      inAudio = m !== null && port === undefined;
      if (m && inAudio) {
        port = Number(m[1]);
        pcmu = (m[2] ?? '').trim().split(' ').includes('0');
      }
    } else if (line.startsWith('c=')) {
      const address = /^c=IN IP4 (\S+)/.exec(line)?.[1];
      if (inAudio) media = address;
      else if (port === undefined) session = address;
    }
  }
  const address = media ?? session;
  if (!address || port === undefined || !pcmu) return undefined;
  return telephoneEvent === undefined ? { address, port } : { address, port, telephoneEvent };
}

/**
 * PCMU only, 20 ms, and no telephone-event: Asterisk then has no payload type to relay RFC 4733 with, so in a
 * native RTP bridge it feeds the caller's DTMF packets to its core (res_rtp_asterisk bridge_p2p_rtp_write) and
 * ARI still reports ChannelDtmfReceived.
 */
export function answerSdp(local: MediaAddress, sessionId = Date.now()): string {
  return [
    'v=0',
    `o=ari-meetme ${sessionId} ${sessionId} IN IP4 ${local.address}`,
    's=ari-meetme',
    `c=IN IP4 ${local.address}`,
    't=0 0',
    `m=audio ${local.port} RTP/AVP 0`,
    'a=rtpmap:0 PCMU/8000',
    'a=ptime:20',
    'a=sendrecv',
    '',
  ].join('\r\n');
}
