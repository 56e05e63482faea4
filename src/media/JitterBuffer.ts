/** Counters a leg reports. */
export interface JitterStats {
  received: number;
  played: number;
  lost: number;
  late: number;
  duplicate: number;
  reordered: number;
  concealed: number;
  dropped: number;
  /** Times the sender stopped for longer than the buffer waits (IDLE_AFTER frames). */
  pauses: number;
  /** Frames repeated on purpose to deepen the queue after late packets. */
  stretched: number;
}

/** The counters an engine adds up over its legs. */
export type JitterTotals = Pick<JitterStats, 'lost' | 'late' | 'reordered' | 'duplicate' | 'concealed'>;

export function addJitterTotals(totals: JitterTotals, stats: JitterStats): void {
  totals.lost += stats.lost;
  totals.late += stats.late;
  totals.reordered += stats.reordered;
  totals.duplicate += stats.duplicate;
  totals.concealed += stats.concealed;
}

const SLOTS = 16;
/** Frames held before playing starts: absorbs ordinary network and timer jitter. */
const PREFILL = 2;
/** The depth grows by one frame after each late packet, up to this. */
const MAX_TARGET = 6;
/** More than this many frames waiting: drop the oldest so latency stays bounded. */
const MAX_DEPTH = 5;
/** After this many missing frames in a row the sender has stopped (a DTMF digit costs 5): go idle. */
const IDLE_AFTER = 8;

export type PopResult = 'frame' | 'conceal' | 'silence';

/**
 * One leg's jitter buffer over 16-bit RTP sequence numbers: reorders, drops late and duplicate
 * packets, conceals single losses, and never stalls when the sender pauses.
 */
export class JitterBuffer {
  private readonly data: Uint8Array[];
  private readonly seqs = new Int32Array(SLOTS).fill(-1);
  private readonly lengths = new Uint16Array(SLOTS);
  private next = 0;
  private highest = 0;
  private playing = false;
  private missing = 0;
  /** How many frames to keep queued; grows when packets come late. */
  private target = PREFILL;
  private stretch = 0;
  readonly stats: JitterStats = {
    received: 0,
    played: 0,
    lost: 0,
    late: 0,
    duplicate: 0,
    reordered: 0,
    concealed: 0,
    dropped: 0,
    pauses: 0,
    stretched: 0,
  };

  constructor(private readonly frameBytes: number) {
    this.data = Array.from({ length: SLOTS }, () => new Uint8Array(frameBytes));
  }

  private depth(): number {
    let n = 0;
    for (let i = 0; i < SLOTS; i++) if ((this.seqs[i] as number) >= 0) n++;
    return n;
  }

  push(sequence: number, payload: Uint8Array, offset: number, length: number): void {
    this.stats.received++;
    if (!this.playing && this.depth() === 0) {
      this.next = sequence;
      this.highest = sequence;
    }
    const ahead = ((sequence - this.next + 0x8000) & 0xffff) - 0x8000;
    if (ahead < 0) {
      this.stats.late++;
      // Late means the queue is too short for this sender's jitter: wait one frame longer from now on.
      // Later than the deepest queue would wait, it is a straggler that no depth would have saved.
      if (this.target < MAX_TARGET && ahead >= -MAX_TARGET) {
        this.target++;
        this.stretch++;
      }
      return;
    }
    // A jump past the window (RtpSource lets through only one it confirmed): start again from here.
    if (ahead >= SLOTS) this.restart(sequence);
    const slot = sequence & (SLOTS - 1);
    if (this.seqs[slot] === sequence) {
      this.stats.duplicate++;
      return;
    }
    if (((sequence - this.highest + 0x8000) & 0xffff) - 0x8000 < 0) this.stats.reordered++;
    else this.highest = sequence;
    const n = Math.min(length, this.frameBytes);
    const target = this.data[slot] as Uint8Array;
    // A plain copy: subarray() would allocate a view per packet.
    for (let i = 0; i < n; i++) target[i] = payload[offset + i] as number;
    this.lengths[slot] = n;
    this.seqs[slot] = sequence;
  }

  /** The next frame into `out`; 'conceal' means none arrived and the caller repeats the last one. */
  pop(out: Uint8Array): PopResult {
    if (!this.playing) {
      if (this.depth() < this.target) return 'silence';
      this.playing = true;
      this.missing = 0;
    }
    if (this.stretch > 0) {
      // Play the last frame once more without advancing: the queue gets one frame deeper.
      this.stretch--;
      this.stats.stretched++;
      return 'conceal';
    }
    while (this.depth() > Math.max(MAX_DEPTH, this.target + 2)) {
      this.release(this.next & (SLOTS - 1));
      this.next = (this.next + 1) & 0xffff;
      this.stats.dropped++;
    }
    const slot = this.next & (SLOTS - 1);
    this.next = (this.next + 1) & 0xffff;
    if (this.seqs[slot] === ((this.next - 1) & 0xffff)) {
      out.set(this.data[slot] as Uint8Array);
      if ((this.lengths[slot] as number) < this.frameBytes) out.fill(0xff, this.lengths[slot]);
      this.release(slot);
      this.missing = 0;
      this.stats.played++;
      return 'frame';
    }
    this.stats.lost++;
    this.missing++;
    if (this.missing >= IDLE_AFTER && this.depth() === 0) {
      // The sender stopped (hangup, hold, end of a burst): the run was not loss, take it back.
      this.playing = false;
      this.stats.lost -= this.missing;
      this.stats.concealed -= this.missing - 1;
      this.stats.pauses++;
      return 'silence';
    }
    this.stats.concealed++;
    return 'conceal';
  }

  /**
   * The stream goes on at `sequence` (a new SSRC, a confirmed jump): what is queued plays out first if
   * `sequence` is ahead within the window, else the buffer starts again there.
   */
  continueAt(sequence: number): void {
    const ahead = ((sequence - this.next + 0x8000) & 0xffff) - 0x8000;
    if (ahead < 0 || ahead >= SLOTS) this.restart(sequence);
  }

  private restart(sequence: number): void {
    this.seqs.fill(-1);
    this.next = sequence;
    this.highest = sequence;
    this.playing = false;
  }

  private release(slot: number): void {
    this.seqs[slot] = -1;
  }
}
