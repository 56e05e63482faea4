import { ConferenceTimer } from '../timing/ConferenceTimer';
import { parseArgs, stringFlag } from './args';

/**
 * `ari-meetme timing [--rate 50] [--seconds 10] [--json]`: the counterpart of Asterisk's `timing test`.
 * Exit 0 when at least 99% of the ticks ran and p99 lateness is at most 2 ms.
 */
export async function runTimingCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const args = parseArgs(['timing', ...argv]);
  const rate = Number(stringFlag(args, 'rate') ?? 50);
  const seconds = Number(stringFlag(args, 'seconds') ?? 10);
  if (![25, 50, 100].includes(rate) || !(seconds > 0 && seconds <= 3600)) {
    out.write('usage: ari-meetme timing [--rate 25|50|100] [--seconds 1-3600] [--json]\n');
    return 2;
  }
  const timer = new ConferenceTimer({ intervalMs: (1000 / rate) as 10 | 20 | 40 });
  timer.begin();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  await timer.stop();
  const stats = timer.stats();
  // The deadlines that passed once the clock ran (its worker takes a few ms to start); one tick may still be in flight at the stop.
  const expected = stats.due;
  const achieved = stats.ticks + stats.skipped;
  const ok = expected > 0 && achieved >= expected * 0.99 - 1 && stats.lateness.p99 <= 2;
  const report = {
    rate,
    seconds,
    expected,
    achieved,
    handled: stats.ticks,
    skipped: stats.skipped,
    late: stats.lateTicks,
    latenessMs: { p50: stats.lateness.p50, p99: stats.lateness.p99, max: stats.lateness.max },
    ok,
  };
  if (args.flags.has('json')) out.write(`${JSON.stringify(report)}\n`);
  else {
    out.write(
      `timing test: ${achieved} of ${expected} ticks at ${rate}/s in ${seconds} s (${((100 * achieved) / expected).toFixed(1)}%), ${stats.skipped} skipped, ${stats.lateTicks} later than 1 ms\n`,
    );
    out.write(
      `lateness: p50 ${stats.lateness.p50.toFixed(2)} ms, p99 ${stats.lateness.p99.toFixed(2)} ms, max ${stats.lateness.max.toFixed(2)} ms\n`,
    );
    out.write(ok ? 'PASS: this host keeps a conference clock\n' : 'FAIL: the timer misses its deadlines on this host\n');
  }
  return ok ? 0 : 1;
}
