import { expect } from 'chai';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MediaEngine } from '../../../src/media';
import { loopbackEngine } from '../../support/loopbackEngine';
import { toneFrame } from '../../support/rtpPeer';

const fixture = JSON.parse(readFileSync(join(__dirname, '../../fixtures/rtp/dtmf-2833.json'), 'utf8')) as {
  digits: Record<string, string[]>;
};
/** The captures' SSRC: the phone's audio and its telephone-event packets share it. */
const SSRC = 0x0e05384e;
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('MediaEngine: digits from a phone that sends its RTP straight to the app (RFC 4733)', () => {
  let engine: MediaEngine;
  let phone: Socket;
  let port: number;
  beforeEach(async () => {
    engine = loopbackEngine();
    port = (await engine.start()).port;
    phone = createSocket('udp4');
    await new Promise<void>((resolve) => phone.bind(0, '127.0.0.1', () => resolve()));
  });
  afterEach(async () => {
    phone.close();
    await engine.close();
  });

  async function call(dtmfPayloadType: number, ssrc = SSRC) {
    const leg = engine.createRoom('r').addLeg({ participantId: 'p', codec: 'ulaw' });
    leg.dtmfPayloadType = dtmfPayloadType;
    leg.setRemote('127.0.0.1', phone.address().port);
    const digits: string[] = [];
    leg.events.on('dtmf', (digit) => digits.push(digit));
    // Audio first: the stream (its SSRC) is known before the digits come.
    for (let seq = 100; seq < 103; seq++) phone.send(toneFrame(440, seq, ssrc), port, '127.0.0.1');
    await settle();
    const send = async (name: string) => {
      for (const hex of fixture.digits[name] ?? []) phone.send(Buffer.from(hex, 'hex'), port, '127.0.0.1');
      await settle();
    };
    return { digits, send };
  }

  it('reports the digits of a leg with a telephone-event payload type, each once', async () => {
    const { digits, send } = await call(101);
    // In the order of the captures' timestamps, as one phone would send them.
    await send('1');
    await send('star');
    await send('pound');
    expect(digits).to.deep.equal(['1', '*', '#']);
    expect(engine.stats().malformed).to.equal(0);
  });

  it('takes no digits from another SSRC than the stream (forged or stray), and counts them as foreign', async () => {
    const { digits, send } = await call(101, 0x12345678);
    await send('1');
    expect(digits).to.deep.equal([]);
    expect(engine.stats().foreign).to.equal(10);
  });

  it('reads no digits on a leg through Asterisk (no payload type): the packets are not audio and are dropped', async () => {
    const { digits, send } = await call(-1);
    await send('1');
    expect(digits).to.deep.equal([]);
    expect(engine.stats().malformed).to.equal(10);
  });
});
