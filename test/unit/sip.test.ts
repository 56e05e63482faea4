import { expect } from 'chai';
import { createSocket } from 'node:dgram';
import { SipUas } from '../../src/sip/SipUas';
import { answerSdp, parseOffer } from '../../src/sip/sdp';

// An offer shaped as chan_pjsip's for `PJSIP/meetme-media/sip:leg@127.0.0.1:PORT` (PCMU + telephone-event, 20 ms).
const OFFER = [
  'v=0',
  'o=- 1193461786 1193461786 IN IP4 127.0.0.1',
  's=Asterisk',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 18168 RTP/AVP 0 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=maxptime:140',
  'a=sendrecv',
  '',
].join('\r\n');

function invite(port: number, body: string, cseq = 102): string {
  return [
    `INVITE sip:meetme-media-abc@127.0.0.1:${port} SIP/2.0`,
    'Via: SIP/2.0/UDP 127.0.0.1:5060;rport;branch=z9hG4bKPj1',
    'From: <sip:asterisk@127.0.0.1>;tag=f1',
    `To: <sip:meetme-media-abc@127.0.0.1:${port}>`,
    'Call-ID: call-1',
    `CSeq: ${cseq} INVITE`,
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

/** A UDP client of the answerer on `port`: each send waits 100 ms for the answer, which lands in `replies`. */
async function sipClient(port: number): Promise<{ replies: string[]; send(message: string): Promise<void>; close(): void }> {
  const socket = createSocket('udp4');
  const replies: string[] = [];
  socket.on('message', (m) => replies.push(m.toString()));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  return {
    replies,
    async send(message) {
      socket.send(message, port, '127.0.0.1');
      await new Promise((resolve) => setTimeout(resolve, 100));
    },
    close: () => socket.close(),
  };
}

describe('SIP answerer for media legs', () => {
  it('reads the audio address of an offer, and refuses one without PCMU', () => {
    expect(parseOffer(OFFER)).to.deep.equal({ address: '127.0.0.1', port: 18168, telephoneEvent: 101 });
    expect(parseOffer(OFFER.replace('RTP/AVP 0 101', 'RTP/AVP 8 101'))).to.equal(undefined);
    // The telephone-event payload type is where a phone's RFC 4733 comes with direct media; an offer may have none.
    expect(parseOffer(OFFER.replace('a=rtpmap:101 telephone-event/8000\r\n', ''))).to.deep.equal({ address: '127.0.0.1', port: 18168 });
  });

  it('answers PCMU only, 20 ms, without telephone-event (so Asterisk reports DTMF over ARI)', () => {
    const sdp = answerSdp({ address: '10.0.0.5', port: 40002 }, 7);
    expect(sdp).to.contain('c=IN IP4 10.0.0.5\r\n').and.contain('m=audio 40002 RTP/AVP 0\r\n').and.contain('a=ptime:20');
    expect(sdp).not.to.contain('telephone-event');
  });

  it('answers INVITE with 200 and SDP, copies Via/From/Call-ID/CSeq, tags To, and acknowledges BYE', async () => {
    const uas = new SipUas({
      bindAddress: '127.0.0.1',
      port: 0,
      answer: (user) => (user === 'meetme-media-abc' ? { address: '127.0.0.1', port: 40001 } : undefined),
    });
    const port = await uas.start();
    const calls: unknown[] = [];
    const ended: string[] = [];
    uas.events.on('call', (user, remote) => calls.push({ user, remote }));
    uas.events.on('ended', (user) => ended.push(user));
    const client = await sipClient(port);
    const { replies } = client;
    try {
      await client.send(invite(port, OFFER));
      const ok = replies[0] ?? '';
      expect(ok.split('\r\n')[0]).to.equal('SIP/2.0 200 OK');
      expect(ok).to.contain('Via: SIP/2.0/UDP 127.0.0.1:5060;rport;branch=z9hG4bKPj1\r\n');
      expect(ok)
        .to.contain('From: <sip:asterisk@127.0.0.1>;tag=f1\r\n')
        .and.contain('CSeq: 102 INVITE\r\n')
        .and.contain('Call-ID: call-1\r\n');
      expect(ok).to.match(new RegExp(`To: <sip:meetme-media-abc@127.0.0.1:${port}>;tag=[0-9a-f]+\\r\\n`));
      expect(ok).to.contain('m=audio 40001 RTP/AVP 0');
      expect(calls).to.deep.equal([{ user: 'meetme-media-abc', remote: { address: '127.0.0.1', port: 18168, telephoneEvent: 101 } }]);
      // A retransmitted INVITE gets the same 200, and is not a second call.
      await client.send(invite(port, OFFER));
      expect(replies[1]).to.equal(ok);
      expect(calls).to.have.length(1);
      const bye = invite(port, '', 103)
        .replace(/^INVITE/, 'BYE')
        .replace('CSeq: 103 INVITE', 'CSeq: 103 BYE');
      await client.send(bye);
      expect(replies[2]?.split('\r\n')[0]).to.equal('SIP/2.0 200 OK');
      expect(ended).to.deep.equal(['meetme-media-abc']);
      expect(uas.calls).to.equal(0);
    } finally {
      client.close();
      uas.close();
    }
  });

  it('answers a re-INVITE of an answered call with the same RTP address and reports where the far end moved', async () => {
    // The app forgets a leg is expected once it is answered: the re-INVITE direct media sends must still get a 200
    // (a 404 left Asterisk relaying a call it had logged as "Remotely bridged").
    let expected = true;
    const uas = new SipUas({
      bindAddress: '127.0.0.1',
      port: 0,
      answer: () => (expected ? { address: '127.0.0.1', port: 40001 } : undefined),
    });
    uas.events.on('call', () => (expected = false));
    const moved: unknown[] = [];
    uas.events.on('moved', (user, remote) => moved.push({ user, remote }));
    const port = await uas.start();
    const client = await sipClient(port);
    const { replies } = client;
    try {
      await client.send(invite(port, OFFER));
      await client.send(invite(port, OFFER.replace('m=audio 18168', 'm=audio 52075'), 103));
      expect(replies[1]?.split('\r\n')[0]).to.equal('SIP/2.0 200 OK');
      expect(replies[1]).to.contain('m=audio 40001 RTP/AVP 0').and.contain('CSeq: 103 INVITE');
      expect(moved).to.deep.equal([{ user: 'meetme-media-abc', remote: { address: '127.0.0.1', port: 52075, telephoneEvent: 101 } }]);
    } finally {
      client.close();
      uas.close();
    }
  });

  it('refuses a call for a leg it does not expect (404)', async () => {
    const uas = new SipUas({ bindAddress: '127.0.0.1', port: 0, answer: () => undefined });
    const port = await uas.start();
    const client = await sipClient(port);
    const { replies } = client;
    try {
      await client.send(invite(port, OFFER));
      expect(replies[0]?.split('\r\n')[0]).to.equal('SIP/2.0 404 Not Found');
    } finally {
      client.close();
      uas.close();
    }
  });
});
