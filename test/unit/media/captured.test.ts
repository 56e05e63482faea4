import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JitterBuffer } from '../../../src/media/JitterBuffer';
import { FRAME } from '../../../src/media/MediaLeg';
import { newRtpView, parseRtp, writeRtpHeader } from '../../../src/media/rtp';
import { RtpSource, type SourceVerdict } from '../../../src/media/RtpSource';
import { ulawDecodeInto } from '../../../src/media/ulaw';
import { goertzelDb } from '../../support/audio';

/** RTP captured from a real Asterisk 22.10.1 (scripts/capture-rtp.ts): its self-test tone, 1004 Hz, with a DTMF digit. */
const capture = JSON.parse(readFileSync(join(__dirname, '../../fixtures/rtp/captured.json'), 'utf8')) as {
  asterisk: string;
  dtmfAtMs: number;
  packets: { atMs: number; hex: string }[];
};
const packets = capture.packets.map((p) => ({ atMs: p.atMs, bytes: Buffer.from(p.hex, 'hex') }));

describe(`RTP captured from Asterisk ${capture.asterisk} (externalMedia, u-law)`, () => {
  it('is what the engine takes as audio, every packet: version 2, PT 0, 160 bytes of payload, one SSRC', () => {
    const view = newRtpView();
    const ssrcs = new Set<number>();
    for (const { bytes } of packets) {
      expect(parseRtp(bytes, bytes.length, view)).to.equal(null);
      expect([view.payloadType, view.payloadLength]).to.deep.equal([0, FRAME]);
      ssrcs.add(view.ssrc);
    }
    expect(ssrcs.size).to.equal(1);
  });

  it('has its headers written byte for byte by the header writer', () => {
    const view = newRtpView();
    for (const { bytes } of packets.slice(0, 20)) {
      parseRtp(bytes, bytes.length, view);
      const built = Buffer.from(bytes);
      built.fill(0, 0, 12);
      writeRtpHeader(built, view.payloadType, view.sequence, view.timestamp, view.ssrc);
      expect(built.equals(bytes)).to.equal(true);
    }
  });

  it('is one stream to RtpSource from first to last, through the DTMF pause (a timestamp jump and the marker bit)', () => {
    const source = new RtpSource();
    const view = newRtpView();
    const verdicts = packets.map(({ bytes }) => {
      parseRtp(bytes, bytes.length, view);
      return source.classify(view.ssrc, view.sequence);
    });
    expect(verdicts).to.deep.equal(['restart', ...new Array<SourceVerdict>(packets.length - 1).fill('play')]);
  });

  it('replayed at its recorded arrival times, plays the 1004 Hz tone on every tick but in the DTMF pause', () => {
    const jitter = new JitterBuffer(FRAME);
    const view = newRtpView();
    const payload = new Uint8Array(FRAME);
    const pcm = new Int16Array(FRAME);
    const missing: number[] = [];
    let next = 0;
    // The tick runs 10 ms after the first packet's arrival, every 20 ms, as a media thread's clock would.
    for (let tick = 0; next < packets.length; tick++) {
      const at = 10 + tick * 20;
      for (; next < packets.length && packets[next]!.atMs <= at; next++) {
        const { bytes } = packets[next]!;
        parseRtp(bytes, bytes.length, view);
        jitter.push(view.sequence, bytes, view.payloadOffset, view.payloadLength);
      }
      if (jitter.pop(payload) !== 'frame') {
        if (tick > 2) missing.push(at);
        continue;
      }
      ulawDecodeInto(payload, 0, pcm, FRAME);
      expect(goertzelDb(pcm, 1004), `tick at ${at} ms`).to.be.greaterThan(-20);
    }
    // Asterisk sent nothing for about 200 ms after the digit, then in bursts for a while (gaps of 78 and
    // 94 ms): only ticks in that second miss a frame, and each is concealed or waited out, never a stall.
    const pause = packets.find((p, i) => i > 0 && p.atMs - packets[i - 1]!.atMs > 150)!.atMs;
    expect(missing.length).to.be.within(1, 16);
    for (const at of missing) expect(at, 'a missing frame away from the DTMF pause').to.be.within(pause - 250, pause + 600);
  });
});
