/**
 * The shipped Kamailio configuration in front of sipp nodes: how long a killed node stays in rotation (from
 * the kill to the dispatcher marking it inactive, read from Kamailio's own state), with no traffic and under
 * calls; how long a returned node takes to be back; and the call setup time (INVITE to 200 at the caller)
 * Kamailio adds, against the same calls placed straight at a node.
 */
import { SipLab, sipLabAvailable, sleep, type Kamailio, type Node } from '../test/support/sipFront';

const RUNS = Number(process.env.BENCH_KAMAILIO_RUNS ?? 5);
const CALLS = Number(process.env.BENCH_KAMAILIO_CALLS ?? 200);

async function until(k: Kamailio, node: Node, flags: RegExp): Promise<number> {
  const start = Date.now();
  while (!flags.test((await k.dispatcher()).get(node.uri) ?? '')) {
    if (Date.now() - start > 30000) throw new Error(`${node.name} never ${String(flags)}`);
    await sleep(20);
  }
  return Date.now() - start;
}

function summary(values: number[], unit = 'ms', digits = 0): string {
  const s = [...values].sort((x, y) => x - y);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  const f = (v: number): string => v.toFixed(digits);
  return `min ${f(s[0]!)} median ${f(at(0.5))} p95 ${f(at(0.95))} max ${f(s[s.length - 1]!)} ${unit} (n=${s.length})`;
}

export async function main(): Promise<void> {
  if (!sipLabAvailable()) {
    console.log('kamailio: skipped (needs kamailio, kamcmd and sipp)');
    return;
  }
  const lab = new SipLab();
  try {
    const a = await lab.node('a');
    const b = await lab.node('b');
    const k = await lab.kamailio([a, b]);
    const idle: number[] = [];
    const loaded: number[] = [];
    const back: number[] = [];
    let lost = 0;
    for (let i = 0; i < RUNS; i++) {
      // a kill at a random point of the 1 s probe cycle
      await sleep(1000 + Math.random() * 1000);
      await b.kill();
      idle.push(await until(k, b, /^I/));
      await b.restart();
      back.push(await until(k, b, /^A/));

      const calls = lab.calls(k.port, '700', 60, 10);
      await sleep(1500 + Math.random() * 1000);
      await b.kill();
      loaded.push(await until(k, b, /^I/));
      lost += (await calls).failed;
      await b.restart();
      back.push(await until(k, b, /^A/));
    }
    console.log(`kamailio: a killed node out of rotation, probing alone: ${summary(idle)}`);
    console.log(`kamailio: the same under 10 calls/s (a silent INVITE marks it at once): ${summary(loaded)}; calls lost ${lost}`);
    console.log(`kamailio: a restarted node back in rotation: ${summary(back)}`);

    const direct = await lab.calls(a.port, '700', CALLS, 10, true);
    const through = await lab.calls(k.port, '700', CALLS, 10, true);
    const median = (v: number[]): number => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)]!;
    console.log(`kamailio: call setup straight to a node: ${summary(direct.setupMs, 'ms', 3)}`);
    console.log(`kamailio: call setup through kamailio:   ${summary(through.setupMs, 'ms', 3)}`);
    console.log(`kamailio: added at the median: ${(median(through.setupMs) - median(direct.setupMs)).toFixed(3)} ms`);
  } finally {
    await lab.stop();
  }
}
