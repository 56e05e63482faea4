import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { G722Decoder, G722Encoder } from '../../../src/media/g722';
import { goertzelDb } from '../../../src/media/goertzel';

const FIXTURES = join(__dirname, '../../fixtures/g722');
const pcm16 = (name: string): Int16Array => {
  const raw = readFileSync(join(FIXTURES, name));
  return new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
};
const bytes = (name: string): Uint8Array => new Uint8Array(readFileSync(join(FIXTURES, name)));

function tone(hz: number, samples: number, amplitude: number, rate = 16000): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * i) / rate));
  return out;
}

describe('G.722 (64 kbit/s)', () => {
  it('encodes a sweep to the same bytes as Asterisk, 20 ms at a time', () => {
    const input = pcm16('sweep-1k.sln16');
    const expected = bytes('sweep-1k.asterisk.g722');
    const encoder = new G722Encoder();
    const out = new Uint8Array(input.length / 2);
    for (let at = 0; at < input.length; at += 320) encoder.encode(input.subarray(at, at + 320), 320, out, at / 2);
    expect(Buffer.from(out).equals(Buffer.from(expected))).to.equal(true);
  });

  it("decodes Asterisk's bytes to the same samples Asterisk does", () => {
    const input = bytes('sweep-1k.asterisk.g722');
    const expected = pcm16('sweep-1k.asterisk-decoded.sln16');
    const decoder = new G722Decoder();
    const out = new Int16Array(input.length * 2);
    const frame = new Int16Array(320);
    for (let at = 0; at < input.length; at += 160) {
      expect(decoder.decode(input, at, 160, frame)).to.equal(320);
      out.set(frame, at * 2);
    }
    expect(Buffer.from(out.buffer).equals(Buffer.from(expected.buffer))).to.equal(true);
  });

  it('carries a 6 kHz tone (above narrowband) through encode and decode', () => {
    const input = tone(6000, 3200, 8000);
    const coded = new Uint8Array(1600);
    new G722Encoder().encode(input, input.length, coded);
    const back = new Int16Array(3200);
    new G722Decoder().decode(coded, 0, coded.length, back);
    const settled = back.subarray(800);
    expect(goertzelDb(settled, 6000, 16000)).to.be.greaterThan(goertzelDb(input.subarray(800), 6000, 16000) - 2);
    expect(goertzelDb(settled, 1000, 16000)).to.be.lessThan(-40);
  });
});
