import { expect } from 'chai';
import { JitterBuffer } from '../../../src/media/JitterBuffer';

function frame(seq: number): Uint8Array {
  return new Uint8Array(160).fill(seq & 0xff);
}

/** Plays `n` ticks, returning what came out each tick: the frame's marker byte, 'C' for concealment, '-' silence. */
function play(jb: JitterBuffer, n: number): (number | string)[] {
  const out = new Uint8Array(160);
  const seen: (number | string)[] = [];
  for (let i = 0; i < n; i++) {
    const r = jb.pop(out);
    seen.push(r === 'frame' ? out[0]! : r === 'conceal' ? 'C' : '-');
  }
  return seen;
}

describe('JitterBuffer', () => {
  it('puts reordered packets back in order and counts them', () => {
    const jb = new JitterBuffer(160);
    for (const seq of [10, 12, 11, 13]) jb.push(seq, frame(seq), 0, 160);
    expect(play(jb, 4)).to.deep.equal([10, 11, 12, 13]);
    expect(jb.stats.reordered).to.equal(1);
  });

  it('drops duplicates and packets that come after their turn', () => {
    const jb = new JitterBuffer(160);
    jb.push(1, frame(1), 0, 160);
    jb.push(2, frame(2), 0, 160);
    jb.push(2, frame(2), 0, 160);
    expect(play(jb, 2)).to.deep.equal([1, 2]);
    jb.push(1, frame(1), 0, 160);
    expect(jb.stats).to.include({ duplicate: 1, late: 1 });
  });

  it('crosses the 16-bit sequence wrap', () => {
    const jb = new JitterBuffer(160);
    for (const seq of [65534, 65535, 0, 1]) jb.push(seq, frame(seq), 0, 160);
    expect(play(jb, 4)).to.deep.equal([254, 255, 0, 1]);
    expect(jb.stats.lost).to.equal(0);
  });

  it('conceals a lost frame instead of stalling, and goes quiet when the sender stops', () => {
    const jb = new JitterBuffer(160);
    for (const seq of [1, 2, 4, 5]) jb.push(seq, frame(seq), 0, 160);
    expect(play(jb, 4)).to.deep.equal([1, 2, 'C', 4]);
    const rest = play(jb, 12);
    expect(rest[0]).to.equal(5);
    expect(rest.slice(-3)).to.deep.equal(['-', '-', '-']);
  });

  it('with 5% loss and reordering never goes silent: every missing frame is concealed', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const jb = new JitterBuffer(160);
    const out = new Uint8Array(160);
    let run = 0;
    let worst = 0;
    let held: number | undefined;
    for (let seq = 0; seq < 3000; seq++) {
      const s = seq & 0xffff;
      const lost = random() < 0.05;
      const delayed = random() < 0.05;
      if (lost) {
        // never arrives
      } else if (held === undefined && delayed) held = s;
      else {
        jb.push(s, frame(s), 0, 160);
        if (held !== undefined) {
          jb.push(held, frame(held), 0, 160);
          held = undefined;
        }
      }
      const r = jb.pop(out);
      if (seq < 5) continue;
      run = r === 'silence' ? run + 1 : 0;
      worst = Math.max(worst, run);
    }
    expect(worst, 'longest run of silent frames').to.equal(0);
    expect(jb.stats.concealed).to.equal(jb.stats.lost);
    expect(jb.stats.lost).to.be.within(100, 220);
    expect(jb.stats.reordered).to.be.greaterThan(50);
  });
});

describe('JitterBuffer under a jittery sender', () => {
  it('grows its depth after a late packet so the next ones are on time', () => {
    const jb = new JitterBuffer(160);
    const out = new Uint8Array(160);
    jb.push(0, frame(0), 0, 160);
    jb.push(1, frame(1), 0, 160);
    jb.pop(out);
    jb.pop(out);
    expect(jb.pop(out)).to.equal('conceal');
    jb.push(2, frame(2), 0, 160);
    expect(jb.stats.late).to.equal(1);
    // From here the sender is 30 ms late every other frame; nothing more arrives late.
    let seq = 3;
    for (let t = 0; t < 200; t++) {
      if (t % 2 === 0) {
        jb.push(seq, frame(seq), 0, 160);
        jb.push(seq + 1, frame(seq + 1), 0, 160);
        seq += 2;
      }
      jb.pop(out);
    }
    expect(jb.stats.late).to.equal(1);
    expect(jb.stats.stretched).to.equal(1);
  });

  it('waits longer after a packet just too late, not after a straggler no depth would have saved', () => {
    const jb = new JitterBuffer(160);
    const out = new Uint8Array(160);
    for (let seq = 100; seq < 120; seq++) {
      jb.push(seq, frame(seq), 0, 160);
      jb.pop(out);
    }
    jb.push(90, frame(90), 0, 160);
    expect(jb.stats).to.include({ late: 1, stretched: 0 });
    expect(jb.pop(out)).to.not.equal('conceal');
    jb.push(116, frame(116), 0, 160);
    jb.pop(out);
    expect(jb.stats.stretched, 'one frame late: the queue grows').to.equal(1);
  });
});
