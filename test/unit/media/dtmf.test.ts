import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DtmfReceiver, LOST_END_AUDIO_PACKETS, parseTelephoneEvent, type Digit } from '../../../src/media/dtmf';
import { newRtpView, parseRtp } from '../../../src/media/rtp';

const fixture = JSON.parse(readFileSync(join(__dirname, '../../fixtures/rtp/dtmf-2833.json'), 'utf8')) as {
  digits: Record<string, string[]>;
};
const packets = (name: string) => (fixture.digits[name] ?? []).map((hex) => Buffer.from(hex, 'hex'));

/** Feeds whole RTP packets to a receiver (audio packets, PT 0, count as audio) and returns the digits it reported. */
function receive(list: Buffer[], receiver?: DtmfReceiver): Digit[] {
  const digits: Digit[] = [];
  const r = receiver ?? new DtmfReceiver((d) => digits.push(d));
  const view = newRtpView();
  for (const packet of list) {
    expect(parseRtp(packet, packet.length, view)).to.equal(null);
    if (view.payloadType === 0) r.audio();
    else r.event(view.timestamp, parseTelephoneEvent(packet, view.payloadOffset, view.payloadLength)!);
  }
  return digits;
}

/** A copy of a packet with another timestamp (a later or earlier event). */
function withTimestamp(packet: Buffer, timestamp: number): Buffer {
  const copy = Buffer.from(packet);
  copy.writeUInt32BE(timestamp >>> 0, 4);
  return copy;
}

const audio = () => {
  const packet = Buffer.alloc(172);
  packet[0] = 0x80;
  return packet;
};

describe('RFC 4733 DTMF in the engine (telephone-event packets cut from captures)', () => {
  it('reads the event payload: digit, end bit, volume, duration', () => {
    const view = newRtpView();
    const list = packets('1');
    const first = list[0]!;
    parseRtp(first, first.length, view);
    expect(view.payloadType).to.equal(101);
    expect(view.marker).to.equal(true);
    expect(parseTelephoneEvent(first, view.payloadOffset, view.payloadLength)).to.deep.equal({
      event: 1,
      end: false,
      volume: 10,
      duration: 0,
    });
    const last = list[list.length - 1]!;
    parseRtp(last, last.length, view);
    expect(parseTelephoneEvent(last, view.payloadOffset, view.payloadLength)).to.deep.equal({
      event: 1,
      end: true,
      volume: 10,
      duration: 2240,
    });
    expect(parseTelephoneEvent(first, 12, 3)).to.equal(undefined);
  });

  it('reports each captured digit once, at its end, though the end packet comes three times', () => {
    for (const [name, digit] of [
      ['1', '1'],
      ['5', '5'],
      ['star', '*'],
      ['pound', '#'],
    ] as const) {
      expect(receive(packets(name)), name).to.deep.equal([{ digit, durationMs: 280 }]);
    }
  });

  it('reports nothing before the end, and nothing for a packet of a digit already reported that comes late', () => {
    const list = packets('1');
    const digits: Digit[] = [];
    const receiver = new DtmfReceiver((d) => digits.push(d));
    receive(list.slice(0, 7), receiver);
    expect(digits).to.deep.equal([]);
    receive(list.slice(7), receiver);
    // Reordered: packets of the same event after its end.
    receive([list[3]!, list[5]!, list[9]!], receiver);
    expect(digits).to.deep.equal([{ digit: '1', durationMs: 280 }]);
  });

  it('keeps two digits in a row apart by their timestamps, the same digit twice too', () => {
    const one = packets('1');
    const again = one.map((p) => withTimestamp(p, p.readUInt32BE(4) + 4000));
    const five = packets('5').map((p) => withTimestamp(p, one[0]!.readUInt32BE(4) + 8000));
    expect(receive([...one, ...again, ...five]).map((d) => d.digit)).to.deep.equal(['1', '1', '5']);
  });

  it('still reports a digit whose end packets were all lost: when the next one starts, or when audio is back', () => {
    const one = packets('1').slice(0, 7);
    const five = packets('5').map((p) => withTimestamp(p, one[0]!.readUInt32BE(4) + 4000));
    expect(receive([...one, ...five])).to.deep.equal([
      { digit: '1', durationMs: 240 },
      { digit: '5', durationMs: 280 },
    ]);
    const audioBack = Array.from({ length: LOST_END_AUDIO_PACKETS - 1 }, audio);
    expect(receive([...one, ...audioBack])).to.deep.equal([]);
    expect(receive([...one, ...audioBack, audio()])).to.deep.equal([{ digit: '1', durationMs: 240 }]);
    // Audio between the packets of one digit (some phones keep sending it) does not end the digit early.
    expect(receive([one[0]!, audio(), audio(), ...one.slice(1), ...packets('1').slice(7)])).to.have.length(1);
  });

  it('orders events across the timestamp wrap, and ignores an older event after a newer one', () => {
    const one = packets('1').map((p) => withTimestamp(p, 0xffffff00));
    const five = packets('5').map((p) => withTimestamp(p, 0x00000400));
    expect(receive([...one, ...five]).map((d) => d.digit)).to.deep.equal(['1', '5']);
    // A straggler of the event before the wrap, after the one after it: nothing.
    const digits: Digit[] = [];
    const receiver = new DtmfReceiver((d) => digits.push(d));
    receive([...five, one[9]!, one[2]!], receiver);
    expect(digits.map((d) => d.digit)).to.deep.equal(['5']);
  });

  it('starts afresh after a reset (a new stream), and drops an event that was open', () => {
    const digits: Digit[] = [];
    const receiver = new DtmfReceiver((d) => digits.push(d));
    receive(packets('1').slice(0, 5), receiver);
    receiver.reset();
    receive(Array.from({ length: LOST_END_AUDIO_PACKETS }, audio), receiver);
    expect(digits).to.deep.equal([]);
    receive(packets('1'), receiver);
    expect(digits.map((d) => d.digit)).to.deep.equal(['1']);
  });
});
