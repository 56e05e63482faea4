import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';

/** What a SIP answerer told us: where it takes RTP, and whether it offered telephone-event (RFC 4733). */
export interface SipAnswer {
  address: string;
  port: number;
  telephoneEvent: boolean;
}

/**
 * chan_pjsip dialling `PJSIP/<endpoint>/sip:user@host:port` as far as the app's answerer sees it: an INVITE with
 * a PCMU + telephone-event offer, ACK to the 200, BYE at hangup. Written apart from src/sip so the double does
 * not share the app's parser.
 */
export class SipDialog {
  private readonly socket: Socket = createSocket('udp4');
  private readonly callId = `${randomBytes(8).toString('hex')}@double`;
  private readonly fromTag = randomBytes(4).toString('hex');
  private toHeader = '';
  private cseq = 1;

  constructor(
    private readonly uri: string,
    private readonly target: { address: string; port: number },
  ) {
    this.socket.on('error', () => undefined);
    // A dialog whose app vanished (killed, never sent BYE) must not keep the test process alive.
    this.socket.unref();
  }

  /** Sends the INVITE offering RTP at rtpPort; resolves with the answer, or undefined on a failure or no answer in timeoutMs. */
  async invite(rtpPort: number, timeoutMs: number): Promise<SipAnswer | undefined> {
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', () => resolve()));
    const sdp = offerSdp(rtpPort);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      this.socket.on('message', (data) => {
        const text = data.toString('utf8');
        const status = Number(/^SIP\/2\.0 (\d{3})/.exec(text)?.[1] ?? 0);
        if (status < 200) return;
        clearTimeout(timer);
        this.toHeader = /\r\nTo: ([^\r\n]+)/i.exec(text)?.[1] ?? '';
        this.send('ACK', 1);
        if (status >= 300) return resolve(undefined);
        const body = text.slice(text.indexOf('\r\n\r\n') + 4);
        const address = /c=IN IP4 (\S+)/.exec(body)?.[1];
        const port = Number(/m=audio (\d+)/.exec(body)?.[1]);
        resolve(address && port ? { address, port, telephoneEvent: /telephone-event/i.test(body) } : undefined);
      });
      this.send('INVITE', this.cseq, sdp);
    });
  }

  /** Direct media: a re-INVITE in the dialog moving our RTP to rtpPort; resolves whether it got a 200. */
  reinvite(rtpPort: number, timeoutMs: number): Promise<boolean> {
    const cseq = ++this.cseq;
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false), timeoutMs);
      const onMessage = (data: Buffer) => {
        const text = data.toString('utf8');
        const status = Number(/^SIP\/2\.0 (\d{3})/.exec(text)?.[1] ?? 0);
        if (status < 200 || !new RegExp(`\r\nCSeq: ${cseq} INVITE`, 'i').test(text)) return;
        this.send('ACK', cseq);
        done(status < 300);
      };
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.socket.off('message', onMessage);
        resolve(ok);
      };
      this.socket.on('message', onMessage);
      this.send('INVITE', cseq, offerSdp(rtpPort));
    });
  }

  private send(method: string, cseq: number, body = ''): void {
    const port = this.socket.address().port;
    const lines = [
      `${method} ${this.uri} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${port};rport;branch=z9hG4bK${randomBytes(6).toString('hex')}`,
      `From: <sip:asterisk@127.0.0.1>;tag=${this.fromTag}`,
      `To: ${this.toHeader || `<${this.uri}>`}`,
      `Contact: <sip:asterisk@127.0.0.1:${port}>`,
      `Call-ID: ${this.callId}`,
      `CSeq: ${cseq} ${method}`,
      'Max-Forwards: 70',
      ...(body ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
    ];
    this.socket.send(`${lines.join('\r\n')}\r\n\r\n${body}`, this.target.port, this.target.address);
  }

  /** Asterisk died: no BYE, the socket just goes. */
  close(): void {
    try {
      this.socket.close();
    } catch {
      // never bound, or closed already
    }
  }

  /** Asterisk hangs up its side: BYE, and no more listening. */
  bye(): void {
    try {
      this.send('BYE', ++this.cseq);
      setTimeout(() => this.socket.close(), 200).unref();
    } catch {
      // never bound
    }
  }
}

/** chan_pjsip's offer for meetme-media: PCMU and telephone-event 101, 20 ms. */
function offerSdp(rtpPort: number): string {
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=Asterisk',
    'c=IN IP4 127.0.0.1',
    't=0 0',
    `m=audio ${rtpPort} RTP/AVP 0 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-16',
    'a=ptime:20',
    'a=sendrecv',
    '',
  ].join('\r\n');
}
