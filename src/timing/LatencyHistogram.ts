/** Fixed buckets: 0.05 ms up to 5 ms, then 5 ms up to 100 ms, then one overflow bucket. No allocation per record. */
const FINE_STEP = 0.05;
const FINE_BUCKETS = 100;
const COARSE_STEP = 5;
const COARSE_BUCKETS = 19;

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(FINE_BUCKETS + COARSE_BUCKETS + 1);
  private total = 0;
  private sum = 0;
  private maxSeen = 0;

  record(ms: number): void {
    const v = ms < 0 ? 0 : ms;
    let bucket: number;
    if (v < FINE_STEP * FINE_BUCKETS) bucket = Math.floor(v / FINE_STEP);
    else if (v < FINE_STEP * FINE_BUCKETS + COARSE_STEP * COARSE_BUCKETS)
      bucket = FINE_BUCKETS + Math.floor((v - FINE_STEP * FINE_BUCKETS) / COARSE_STEP);
    else bucket = FINE_BUCKETS + COARSE_BUCKETS;
    this.counts[bucket] = (this.counts[bucket] as number) + 1;
    this.total++;
    this.sum += v;
    if (v > this.maxSeen) this.maxSeen = v;
  }

  /** Upper bound of the bucket holding the p-th percentile, in ms. */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const target = Math.ceil((p / 100) * this.total);
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i] as number;
      if (seen >= target) {
        const upper =
          i < FINE_BUCKETS
            ? (i + 1) * FINE_STEP
            : i < FINE_BUCKETS + COARSE_BUCKETS
              ? FINE_STEP * FINE_BUCKETS + (i - FINE_BUCKETS + 1) * COARSE_STEP
              : this.maxSeen;
        return Math.min(upper, this.maxSeen);
      }
    }
    return this.maxSeen;
  }

  summary(): LatencySummary {
    return {
      count: this.total,
      p50: this.percentile(50),
      p99: this.percentile(99),
      max: this.maxSeen,
      mean: this.total ? this.sum / this.total : 0,
    };
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.sum = 0;
    this.maxSeen = 0;
  }
}
