import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { TypedEmitter } from '../lib/TypedEmitter';
import { answerSdp, parseOffer, type MediaAddress, type Offer } from './sdp';
import { parseSipMessage, type SipRequest } from './message';

/** Where the answerer wants RTP for one call, or undefined to refuse it (404). */
export type AnswerMedia = (user: string, offer: Offer) => MediaAddress | undefined;

export interface SipUasEvents {
  /** A call was answered: `user` is the request URI's user part, `remote` where Asterisk takes RTP. */
  call: [user: string, remote: Offer];
  /** A re-INVITE moved the far end's RTP (direct media, hold, a transfer): where it takes RTP now. */
  moved: [user: string, remote: Offer];
  /** The far end hung up (BYE or CANCEL). */
  ended: [user: string];
}

interface Dialog {
  user: string;
  localTag: string;
  /** Our RTP address, answered once: a re-INVITE moves the far end, never us. */
  local: MediaAddress;
  /** The 200 OK to the last INVITE, resent until its ACK comes (RFC 3261 13.3.1.4). */
  ok: string | undefined;
  okTo: RemoteInfo | undefined;
  okCseq: string | undefined;
  okTimer: NodeJS.Timeout | undefined;
}

const T1_MS = 500;
const T2_MS = 4000;

/**
 * The smallest SIP user agent server that lets Asterisk call an RTP endpoint of ours over PJSIP: it answers
 * INVITE (and re-INVITE) with PCMU at the address `answer` gives, and acknowledges ACK, BYE, CANCEL and OPTIONS.
 * It never sends requests: hanging up is Asterisk's job (DELETE the channel over ARI, Asterisk sends BYE).
 * Why SIP at all: only two RTP channels of the same kind pass native_rtp's DTMF compatibility check, so a PJSIP
 * caller can be bridged natively (RTP relayed by the RTP engine, no frames in the bridge core) only to PJSIP.
 */
export class SipUas {
  readonly events = new TypedEmitter<SipUasEvents>();
  private socket: Socket | undefined;
  private readonly dialogs = new Map<string, Dialog>();

  constructor(private readonly options: { bindAddress: string; port: number; answer: AnswerMedia }) {}

  /** Binds the UDP socket; resolves with the port. */
  async start(): Promise<number> {
    const socket = createSocket('udp4');
    socket.on('message', (data, from) => this.onMessage(data.toString('utf8'), from));
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.options.port, this.options.bindAddress, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    // A reply that cannot be sent (the far end went away) must not end the process.
    socket.on('error', () => undefined);
    this.socket = socket;
    return socket.address().port;
  }

  get port(): number {
    return this.socket?.address().port ?? 0;
  }

  get calls(): number {
    return this.dialogs.size;
  }

  close(): void {
    for (const dialog of this.dialogs.values()) clearTimeout(dialog.okTimer);
    this.dialogs.clear();
    this.socket?.close();
    this.socket = undefined;
  }

  private send(text: string, to: RemoteInfo): void {
    this.socket?.send(text, to.port, to.address);
  }

  private onMessage(text: string, from: RemoteInfo): void {
    const message = parseSipMessage(text);
    if (!message || message.kind !== 'request') return;
    const callId = message.header('call-id');
    if (!callId) return;
    switch (message.method) {
      case 'INVITE':
        this.onInvite(message, callId, from);
        break;
      case 'ACK': {
        const dialog = this.dialogs.get(callId);
        if (dialog) this.stopResending(dialog);
        break;
      }
      case 'BYE':
      case 'CANCEL': {
        const dialog = this.dialogs.get(callId);
        this.send(this.response(message, 200, 'OK', dialog?.localTag), from);
        if (dialog) {
          this.stopResending(dialog);
          this.dialogs.delete(callId);
          this.events.safeEmit('ended', dialog.user);
        }
        break;
      }
      case 'OPTIONS':
        this.send(this.response(message, 200, 'OK', undefined, ['Allow: INVITE, ACK, BYE, CANCEL, OPTIONS']), from);
        break;
      default:
        this.send(this.response(message, 501, 'Not Implemented', this.dialogs.get(callId)?.localTag), from);
    }
  }

  private onInvite(request: SipRequest, callId: string, from: RemoteInfo): void {
    const existing = this.dialogs.get(callId);
    // A retransmitted INVITE whose 200 we already sent: send it again.
    if (existing?.ok && existing.okTo && request.header('cseq') === existing.okCseq) {
      this.send(existing.ok, from);
      return;
    }
    const user = /^sips?:([^@;>]+)@/.exec(request.uri)?.[1] ?? '';
    const offer = parseOffer(request.body);
    if (!offer) {
      this.send(this.response(request, 488, 'Not Acceptable Here', existing?.localTag), from);
      return;
    }
    // A re-INVITE (direct media, hold) gets our first answer again: whoever answered the call may have
    // forgotten it was expected, and a 404 would leave Asterisk relaying a call it thinks is direct.
    const local = existing?.local ?? this.options.answer(user, offer);
    if (!local) {
      this.send(this.response(request, 404, 'Not Found'), from);
      return;
    }
    const dialog: Dialog = existing ?? {
      user,
      localTag: randomBytes(6).toString('hex'),
      local,
      ok: undefined,
      okTo: undefined,
      okCseq: undefined,
      okTimer: undefined,
    };
    this.stopResending(dialog);
    const contact = `Contact: <sip:${user}@${this.options.bindAddress}:${this.port}>`;
    const body = answerSdp(local);
    dialog.ok = this.response(request, 200, 'OK', dialog.localTag, [contact, 'Content-Type: application/sdp'], body);
    dialog.okTo = from;
    dialog.okCseq = request.header('cseq');
    this.dialogs.set(callId, dialog);
    this.send(dialog.ok, from);
    this.resend(dialog, T1_MS);
    if (!existing) this.events.safeEmit('call', user, offer);
    else this.events.safeEmit('moved', existing.user, offer);
  }

  private resend(dialog: Dialog, afterMs: number): void {
    if (afterMs > 32 * T1_MS) return;
    dialog.okTimer = setTimeout(() => {
      if (dialog.ok && dialog.okTo) this.send(dialog.ok, dialog.okTo);
      this.resend(dialog, Math.min(afterMs * 2, T2_MS));
    }, afterMs);
    dialog.okTimer.unref();
  }

  private stopResending(dialog: Dialog): void {
    clearTimeout(dialog.okTimer);
    dialog.okTimer = undefined;
  }

  /** A response that copies the request's Via, From, To, Call-ID and CSeq (RFC 3261 8.2.6.2). */
  private response(request: SipRequest, status: number, reason: string, toTag?: string, extra: string[] = [], body = ''): string {
    const to = request.header('to') ?? '';
    const lines = [
      `SIP/2.0 ${status} ${reason}`,
      ...request.headers('via').map((via) => `Via: ${via}`),
      `From: ${request.header('from') ?? ''}`,
      `To: ${toTag && !/;tag=/i.test(to) ? `${to};tag=${toTag}` : to}`,
      `Call-ID: ${request.header('call-id') ?? ''}`,
      `CSeq: ${request.header('cseq') ?? ''}`,
      ...extra,
      `Content-Length: ${Buffer.byteLength(body)}`,
    ];
    return `${lines.join('\r\n')}\r\n\r\n${body}`;
  }
}
