import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FRAME } from '../../../src/media/MediaLeg';
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

interface RecordedStream {
  what: string;
  payloadType: number;
  ssrc: number;
  firstSeq: number;
  firstTs: number;
  timestampStep: number;
  markerBits: number;
  payloadSize: number;
  firstPacketsHex: string[];
}
const recorded = (JSON.parse(readFileSync(join(__dirname, '../../fixtures/rtp/recorded.json'), 'utf8')) as { streams: RecordedStream[] })
  .streams;

describe('RTP as Asterisk 22 sent it (recorded externalMedia streams)', () => {
  for (const stream of recorded) {
    it(`reads the first packets of ${stream.what} field by field`, () => {
      const view = newRtpView();
      stream.firstPacketsHex.forEach((hex, k) => {
        const packet = Buffer.from(hex, 'hex');
        expect(parseRtp(packet, packet.length, view), `packet ${k}`).to.equal(null);
        expect(view).to.deep.equal({
          payloadType: stream.payloadType,
          marker: stream.markerBits > 0,
          sequence: (stream.firstSeq + k) & 0xffff,
          timestamp: stream.firstTs + k * stream.timestampStep,
          ssrc: stream.ssrc,
          payloadOffset: 12,
          // The recording keeps 24 bytes of each packet: the header and 12 payload bytes.
          payloadLength: packet.length - 12,
        });
      });
    });

    it(`writes the header of ${stream.what} byte for byte`, () => {
      stream.firstPacketsHex.forEach((hex, k) => {
        const original = Buffer.from(hex, 'hex');
        const built = Buffer.from(original);
        built.fill(0, 0, 12);
        writeRtpHeader(built, stream.payloadType, stream.firstSeq + k, stream.firstTs + k * stream.timestampStep, stream.ssrc);
        expect(built.toString('hex')).to.equal(hex);
      });
    });
  }
});

describe('what the engine takes as audio', () => {
  it('is exactly what the recorded u-law stream carried: PT 0, 160-byte payloads (other sizes are malformed)', () => {
    const ulaw = recorded.find((stream) => stream.payloadType === 0)!;
    expect(ulaw.payloadSize).to.equal(FRAME);
  });
});

describe('RTP header variants of RFC 3550 that chan_rtp does not send', () => {
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
