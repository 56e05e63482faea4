import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newRtpView, parseRtp, writeRtpHeader } from '../../../src/media/rtp';

interface Fixture {
  hex: string;
  pt: number;
  seq: number;
  ts: number;
  ssrc: number;
  payloadOffset: number;
  payloadLength: number;
  marker?: boolean;
}

const fixtures = JSON.parse(readFileSync(join(__dirname, '../../fixtures/rtp/packets.json'), 'utf8')) as {
  valid: Record<string, Fixture>;
  malformed: Record<string, string>;
};

describe('RTP', () => {
  for (const [name, f] of Object.entries(fixtures.valid)) {
    it(`reads ${name} field by field`, () => {
      const packet = Buffer.from(f.hex, 'hex');
      const view = newRtpView();
      expect(parseRtp(packet, packet.length, view)).to.equal(null);
      expect(view).to.deep.equal({
        payloadType: f.pt,
        marker: f.marker ?? false,
        sequence: f.seq,
        timestamp: f.ts,
        ssrc: f.ssrc,
        payloadOffset: f.payloadOffset,
        payloadLength: f.payloadLength,
      });
    });
  }

  for (const [name, hex] of Object.entries(fixtures.malformed)) {
    it(`refuses ${name} with a reason`, () => {
      const packet = Buffer.from(hex, 'hex');
      expect(parseRtp(packet, packet.length, newRtpView())).to.be.a('string');
    });
  }

  it('writes the header chan_rtp sends, byte for byte', () => {
    const f = fixtures.valid['ulaw-pt0']!;
    const original = Buffer.from(f.hex, 'hex');
    const built = Buffer.alloc(original.length);
    writeRtpHeader(built, f.pt, f.seq, f.ts, f.ssrc);
    original.copy(built, 12, 12);
    expect(built.equals(original)).to.equal(true);
  });

  it('round-trips every sequence and timestamp edge', () => {
    const packet = Buffer.alloc(172);
    const view = newRtpView();
    for (const [seq, ts] of [
      [0, 0],
      [65535, 4294967295],
      [32768, 2147483648],
    ] as const) {
      writeRtpHeader(packet, 0, seq, ts, 0xffffffff);
      parseRtp(packet, packet.length, view);
      expect([view.sequence, view.timestamp, view.ssrc]).to.deep.equal([seq, ts, 0xffffffff]);
    }
  });
});
