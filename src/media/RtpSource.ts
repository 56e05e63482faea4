/**
 * Which packets belong to a leg's stream, after RFC 3550 appendix A.1 and Asterisk's strict RTP. A stream
 * is its SSRC: another SSRC is foreign until it proves itself as a real change, and one wild sequence
 * number is on probation until the packet after it follows on. A stray or forged packet is dropped and
 * never moves the stream, so the participant stays audible through it.
 */

/**
 * Packets of a new SSRC in a row, each the sequence number after the last, with none of the current
 * SSRC in between, before the new one takes over (Asterisk's rtp.conf `probation` is 4). 8 (160 ms):
 * a DTMF digit silences the real stream for 5 packets (FINDINGS "Caller paired with externalMedia"),
 * and a sender running beside it must not take over in that gap.
 */
export const SSRC_PROBATION = 8;
/**
 * The furthest ahead a packet may be and still play at once (RFC 3550's MAX_DROPOUT is 3000, for
 * statistics): the jitter buffer holds 16 frames of which up to 8 may be queued, so a packet at most 8
 * ahead lands in a slot and moves nothing. A real gap that long (a DTMF digit skips 5) plays through.
 */
export const MAX_DROPOUT = 8;
/** Packets up to this far behind are reordered or late, for the jitter buffer to place or drop (RFC: 100). */
export const MAX_MISORDER = 16;

/**
 * `play`: the next packet of the stream. `restart`: the stream starts here (the first packet, a new SSRC
 * that proved itself). `foreign`: another SSRC, dropped. `jump`: a wild sequence number, on probation:
 * held back until the next packet says what it was. `confirmed`: this packet follows the one held back,
 * so the stream goes on from there, the held one first. After any other verdict the held one was not
 * the stream's.
 */
export type SourceVerdict = 'play' | 'restart' | 'foreign' | 'jump' | 'confirmed';

export class RtpSource {
  private locked = false;
  private ssrc = 0;
  private maxSeq = 0;
  /** The sequence number that would confirm the last jump; -1 when none is on probation. */
  private badSeq = -1;
  private candidate = 0;
  private candidateSeq = 0;
  private candidateRun = 0;

  /** A new remote (another address and port): whatever comes next is a new stream. */
  reset(): void {
    this.locked = false;
    this.badSeq = -1;
    this.candidateRun = 0;
  }

  /** Whether packets of this SSRC are the stream's now (telephone-event packets share its SSRC). */
  isCurrent(ssrc: number): boolean {
    return this.locked && ssrc === this.ssrc;
  }

  classify(ssrc: number, seq: number): SourceVerdict {
    if (!this.locked) {
      this.lock(ssrc, seq);
      return 'restart';
    }
    if (ssrc !== this.ssrc) {
      if (this.candidateRun > 0 && ssrc === this.candidate && seq === ((this.candidateSeq + 1) & 0xffff)) this.candidateRun++;
      else {
        this.candidate = ssrc;
        this.candidateRun = 1;
      }
      this.candidateSeq = seq;
      if (this.candidateRun < SSRC_PROBATION) return 'foreign';
      this.lock(ssrc, seq);
      return 'restart';
    }
    // The current SSRC is still sending: a candidate has to start its run again.
    this.candidateRun = 0;
    const delta = (seq - this.maxSeq) & 0xffff;
    if (delta > 0 && delta <= MAX_DROPOUT) {
      this.maxSeq = seq;
      this.badSeq = -1;
      return 'play';
    }
    if (delta === 0 || delta >= 0x10000 - MAX_MISORDER) return 'play';
    if (seq === this.badSeq) {
      // Two in a row from the jump on (RFC 3550: the sender restarted its numbering without telling us).
      this.lock(ssrc, seq);
      return 'confirmed';
    }
    this.badSeq = (seq + 1) & 0xffff;
    return 'jump';
  }

  private lock(ssrc: number, seq: number): void {
    this.locked = true;
    this.ssrc = ssrc;
    this.maxSeq = seq;
    this.badSeq = -1;
    this.candidateRun = 0;
  }
}
