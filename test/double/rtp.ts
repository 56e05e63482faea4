import { createSocket, type Socket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { G722Decoder, G722Encoder } from '../../src/media/g722';
import { ulawDecode, ulawEncode } from './g711';
import type { Asterisk } from './Asterisk';
import type { DChannel } from './model';

/**
 * chan_rtp as externalMedia shows it: RTP from UNICASTRTP_LOCAL_ADDRESS:PORT to external_host every
 * 20 ms once bridged with another channel, PT 0 with 160-byte u-law payloads (or PT 118, 640-byte
 * big-endian slin16), random sequence and SSRC, the first timestamp one frame in (160 or 320, as
 * recorded), never the marker bit. G.722: PT 9 both ways, 160 bytes of 16 kHz audio a frame on an 8 kHz RTP
 * clock (FINDINGS "Dynamic payload types back into Asterisk"); the codec is the app's own, which matches Asterisk's
 * byte for byte (test/fixtures/g722). While the peer's DTMF digit plays no audio comes and the sequence
 * number skips (FINDINGS: a 100 ms digit skips 5). What comes back goes to the peer.
 */
export class ExternalMediaLeg {
  socket: Socket;
  port = 0;
  private timer: NodeJS.Timeout | undefined;
  private seq = randomInt(0, 65536);
  private ts: number;
  private ssrc = randomInt(0, 2 ** 32);
  /** Frames not sent (a DTMF digit on the peer) while the sequence number goes on. */
  private skip = 0;
  private marker = false;
  /** An RFC 4733 event is being sent instead of audio (direct media). */
  private eventPlaying = false;
  private next = 0;
  packetsSent = 0;
  packetsReceived = 0;
  private readonly encoder = new G722Encoder();
  private readonly decoder = new G722Decoder();

  constructor(
    private readonly asterisk: Asterisk,
    private readonly channel: DChannel,
    private readonly remote: { address: string; port: number },
    readonly format: 'ulaw' | 'slin16' | 'g722',
  ) {
    this.ts = format === 'slin16' ? 320 : 160;
    this.socket = this.newSocket();
  }

  private newSocket(): Socket {
    const socket = createSocket('udp4');
    socket.on('message', (msg) => this.receive(msg));
    socket.on('error', () => undefined);
    return socket;
  }

  /**
   * Direct media: the SIP leg is re-INVITEd to the phone's own RTP address, a new socket here, and from its answer
   * on the phone's audio (another SSRC, as another sender's) comes from there and what the leg sends goes there.
   */
  async moveToPhone(leg: DChannel): Promise<void> {
    const phone = this.newSocket();
    const port = await new Promise<number>((resolve) => phone.bind(0, '127.0.0.1', () => resolve(phone.address().port)));
    const answered = await leg.sip?.dialog.reinvite(port, 2000);
    if (!answered) {
      phone.close();
      return;
    }
    const old = this.socket;
    this.socket = phone;
    this.port = port;
    this.ssrc = randomInt(0, 2 ** 32);
    this.seq = randomInt(0, 65536);
    old.close();
  }

  /**
   * A phone's RFC 4733 digit (PT 101, as offered): an event packet every 20 ms instead of audio, its duration
   * rising, then the end packet three times (as the Debian sip-tester captures show), all on one timestamp.
   */
  async telephoneEvent(digit: string, durationMs: number): Promise<void> {
    const event = '0123456789*#ABCD'.indexOf(digit);
    if (event < 0) return;
    const packets = Math.max(1, Math.round(durationMs / 20));
    const timestamp = this.ts;
    // No audio while the event is sent: its packets take the sequence numbers, its duration the timestamps.
    this.eventPlaying = true;
    const send = (duration: number, end: boolean, first: boolean) => {
      const packet = Buffer.alloc(16);
      packet[0] = 0x80;
      packet[1] = 101 | (first ? 0x80 : 0);
      packet.writeUInt16BE(this.seq, 2);
      packet.writeUInt32BE(timestamp >>> 0, 4);
      packet.writeUInt32BE(this.ssrc, 8);
      packet[12] = event;
      packet[13] = (end ? 0x80 : 0) | 10;
      packet.writeUInt16BE(Math.min(duration, 0xffff), 14);
      this.socket.send(packet, this.remote.port, this.remote.address);
    };
    for (let i = 0; i < packets; i++) {
      send(i * 160, false, i === 0);
      this.seq = (this.seq + 1) & 0xffff;
      await new Promise((resolve) => setTimeout(resolve, this.asterisk.ms(20)));
    }
    for (let i = 0; i < 3; i++) send(packets * 160, true, false);
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (timestamp + packets * 160) >>> 0;
    this.eventPlaying = false;
  }

  bind(): Promise<number> {
    return new Promise((resolve) => {
      this.socket.bind(0, '127.0.0.1', () => {
        this.port = this.socket.address().port;
        resolve(this.port);
      });
    });
  }

  /** Bridge membership changed: start or stop sending. */
  peerChanged(): void {
    const peer = this.asterisk.peerOf(this.channel);
    if (peer && !this.timer) {
      this.next = Date.now();
      this.tick();
    } else if (!peer && this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
  }

  /** The peer's DTMF digit: chan_rtp sends nothing while it plays, and the sequence number skips. */
  digit(durationMs: number): void {
    this.skip += Math.round(durationMs / 20);
  }

  /**
   * The media source changed (a re-INVITE, a transfer): Asterisk's RTP engine picks a new SSRC and
   * sets the marker bit on the next packet; the sequence number goes on.
   */
  changeSource(): void {
    this.ssrc = randomInt(0, 2 ** 32);
    this.marker = true;
  }

  private tick(): void {
    const peer = this.asterisk.peerOf(this.channel);
    if (!peer) {
      this.timer = undefined;
      return;
    }
    const sim = peer.sim;
    // While a prompt plays to the caller, or it is muted inbound, its audio does not reach us (FINDINGS).
    const silent = peer.playbacks.size > 0 || peer.mute.in;
    // Echo() has nothing of its own to send; a phone that sends nothing sends nothing; a dialplan
    // generator with no timing module makes frames only as frames come in (see receive).
    const sends = sim === undefined || (!sim.echo && (sim.generated ? this.asterisk.hasTiming : sim.sendsRtp || sim.speaking));
    if (this.eventPlaying) {
      // the event's packets go instead
    } else if (this.skip > 0) {
      this.skip--;
      this.advance();
    } else if (!silent && sends)
      this.send(this.format === 'g722' ? (sim?.speak(320, 16000) ?? new Int16Array(320)) : (sim?.speak(160) ?? new Int16Array(160)));
    // Music on hold is a generator too: Asterisk's timer drives it, or else the caller's own frames.
    if (peer.moh && sim && (this.asterisk.hasTiming || sim.sendsRtp || sim.speaking)) sim.hearMusic();
    this.next += 20;
    this.timer = setTimeout(() => this.tick(), Math.max(0, this.next - Date.now()));
  }

  private send(pcm: Int16Array): void {
    if (this.format === 'g722') {
      const packet = Buffer.alloc(12 + 160);
      packet[0] = 0x80;
      packet[1] = 9 | (this.marker ? 0x80 : 0);
      this.marker = false;
      packet.writeUInt16BE(this.seq, 2);
      packet.writeUInt32BE(this.ts >>> 0, 4);
      packet.writeUInt32BE(this.ssrc, 8);
      this.encoder.encode(pcm, 320, packet, 12);
      this.advance();
      this.packetsSent++;
      this.socket.send(packet, this.remote.port, this.remote.address);
      return;
    }
    const slin = this.format === 'slin16';
    const payloadLength = slin ? 640 : 160;
    const packet = Buffer.alloc(12 + payloadLength);
    packet[0] = 0x80;
    packet[1] = (slin ? 118 : 0) | (this.marker ? 0x80 : 0);
    this.marker = false;
    packet.writeUInt16BE(this.seq, 2);
    packet.writeUInt32BE(this.ts >>> 0, 4);
    packet.writeUInt32BE(this.ssrc, 8);
    for (let i = 0; i < 160; i++) {
      const sample = pcm[i] ?? 0;
      if (slin) {
        packet.writeInt16BE(sample, 12 + i * 4);
        packet.writeInt16BE(sample, 12 + i * 4 + 2);
      } else packet[12 + i] = ulawEncode(sample);
    }
    this.advance();
    this.packetsSent++;
    this.socket.send(packet, this.remote.port, this.remote.address);
  }

  private advance(): void {
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + (this.format === 'slin16' ? 320 : 160)) >>> 0;
  }

  private receive(msg: Buffer): void {
    if (msg.length < 12 || msg[0]! >> 6 !== 2) return;
    const pt = msg[1]! & 0x7f;
    // chan_rtp has no receive mapping for dynamic payload types: PT 118 back is dropped silently. G.722 (PT 9) is
    // taken on a G.722 channel.
    if (pt !== 0 && !(pt === 9 && this.format === 'g722')) return;
    this.packetsReceived++;
    const peer = this.asterisk.peerOf(this.channel);
    const sim = peer?.sim;
    if (!peer || !sim) return;
    const decode = (): Int16Array => {
      const offset = 12 + (msg[0]! & 0x0f) * 4;
      if (pt === 9) {
        const wide = new Int16Array((msg.length - offset) * 2);
        this.decoder.decode(msg, offset, msg.length - offset, wide);
        return wide;
      }
      const pcm = new Int16Array(msg.length - offset);
      for (let i = 0; i < pcm.length; i++) pcm[i] = ulawDecode(msg[offset + i]!);
      return pcm;
    };
    // Media that arrives drives the channel: Echo() sends the frame back, a generator answers it with one of its own.
    if (sim.echo) {
      this.send(decode());
      return;
    }
    if (sim.generated && !this.asterisk.hasTiming && peer.playbacks.size === 0 && !peer.mute.in)
      this.send(this.format === 'g722' ? sim.speak(320, 16000) : sim.speak(160));
    if (peer.mute.out || peer.playbacks.size > 0 || peer.moh) return;
    // A load test's callers keep nothing: counted, not decoded.
    if (sim.keepsAudio) sim.hear(decode());
    else sim.framesHeard++;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}
