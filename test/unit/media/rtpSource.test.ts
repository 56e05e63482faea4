import { expect } from 'chai';
import { MAX_DROPOUT, MAX_MISORDER, RtpSource, SSRC_PROBATION, type SourceVerdict } from '../../../src/media/RtpSource';

const A = 0x14aefaac;
const B = 0x3feaf661;

/** The verdicts for a run of [ssrc, seq] packets. */
function run(source: RtpSource, packets: [number, number][]): SourceVerdict[] {
  return packets.map(([ssrc, seq]) => source.classify(ssrc, seq));
}

describe('RtpSource: a stream is its SSRC (RFC 3550 A.1, strict RTP)', () => {
  it('starts the stream on its first packet and plays it in order across the 16-bit wrap', () => {
    expect(
      run(new RtpSource(), [
        [A, 65534],
        [A, 65535],
        [A, 0],
        [A, 1],
      ]),
    ).to.deep.equal(['restart', 'play', 'play', 'play']);
  });

  it('plays gaps up to MAX_DROPOUT and packets up to MAX_MISORDER behind, duplicates included', () => {
    const source = new RtpSource();
    expect(
      run(source, [
        [A, 100],
        [A, 100 + MAX_DROPOUT],
        [A, 101],
        [A, 100 + MAX_DROPOUT - MAX_MISORDER],
        [A, 101],
      ]),
    ).to.deep.equal(['restart', 'play', 'play', 'play', 'play']);
  });

  it('puts one wild sequence number on probation and goes on with the stream', () => {
    const source = new RtpSource();
    expect(
      run(source, [
        [A, 100],
        [A, 600],
        [A, 101],
        [A, 601],
        [A, 102],
        [A, 100 - MAX_MISORDER - 1],
        [A, 103],
      ]),
    ).to.deep.equal([
      'restart',
      'jump',
      'play',
      // 601 follows 600, but the stream went on in between: still not a restart.
      'jump',
      'play',
      'jump',
      'play',
    ]);
  });

  it('goes on from a jump the next packet confirms (a sender that renumbered)', () => {
    expect(
      run(new RtpSource(), [
        [A, 100],
        [A, 30100],
        [A, 30101],
        [A, 30102],
      ]),
    ).to.deep.equal(['restart', 'jump', 'confirmed', 'play']);
  });

  it('drops another SSRC while the stream goes on, however steadily it sends', () => {
    const source = new RtpSource();
    source.classify(A, 1);
    const verdicts = new Set<SourceVerdict>();
    for (let i = 0; i < 200; i++) {
      verdicts.add(source.classify(B, 5000 + i));
      verdicts.add(source.classify(A, 2 + i));
    }
    expect([...verdicts].sort()).to.deep.equal(['foreign', 'play']);
  });

  it(`takes a new SSRC after ${SSRC_PROBATION} packets in a row with none of the old one between`, () => {
    const source = new RtpSource();
    source.classify(A, 1);
    const verdicts = Array.from({ length: SSRC_PROBATION + 1 }, (_, i) => source.classify(B, 7000 + i));
    expect(verdicts).to.deep.equal([...new Array<SourceVerdict>(SSRC_PROBATION - 1).fill('foreign'), 'restart', 'play']);
    // Now A is the stranger.
    expect(source.classify(A, 2)).to.equal('foreign');
  });

  it('needs the run to be consecutive: a skipped number starts it again', () => {
    const source = new RtpSource();
    source.classify(A, 1);
    const seqs = [10, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21];
    const verdicts = seqs.map((seq) => source.classify(B, seq));
    expect(verdicts.indexOf('restart')).to.equal(3 + SSRC_PROBATION - 1);
  });

  it('starts afresh after reset (a new remote address)', () => {
    const source = new RtpSource();
    source.classify(A, 1);
    source.reset();
    expect(source.classify(B, 9)).to.equal('restart');
  });
});
