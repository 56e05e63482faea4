/**
 * Group actions against the ARI double at real prompt lengths (speed 1): 20 callers waiting for the leader are
 * released when the leader arrives, a single kick and a kick-all answer, and 20 `x` callers leave with the leader.
 * Each figure is measured on what the double's channels show (music off, unmuted, out of the bridge, out of Stasis).
 */
import { performance } from 'node:perf_hooks';
import { startApp, waitFor, type Running } from '../test/support/appHarness';

const CALLERS = Number(process.env.BENCH_CALLERS ?? 20);

const seconds = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;

/** Polls every 5 ms and returns, per channel, when `done` first held, measured from `t0`. */
async function whenEach(ids: string[], done: (id: string) => boolean, t0: number, timeoutMs: number): Promise<number[]> {
  const at = new Map<string, number>();
  const deadline = performance.now() + timeoutMs;
  while (at.size < ids.length && performance.now() < deadline) {
    for (const id of ids) if (!at.has(id) && done(id)) at.set(id, performance.now() - t0);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return ids.map((id) => at.get(id) ?? Infinity);
}

function spread(label: string, times: number[]): void {
  const sorted = [...times].sort((a, b) => a - b);
  const first = sorted[0] ?? 0;
  const last = sorted[sorted.length - 1] ?? 0;
  console.log(`  ${label}: first ${seconds(first)}, last ${seconds(last)}, last - first ${seconds(last - first)}`);
}

const size = (r: Running, number: string): number => r.app.manager.list().find((c) => c.number === number)?.participants.length ?? 0;

/** Dials CALLERS callers into `number` and waits until the conference holds `expected`. */
async function fill(r: Running, number: string, options: string, expected: number): Promise<string[]> {
  const callers = Array.from({ length: CALLERS }, (_, i) =>
    r.ast.dial({ exten: number, args: [number, options], callerId: `W${i} <2${i}>` }),
  );
  await waitFor(() => size(r, number) === expected, 120_000, 'callers in');
  return callers.map((c) => c.channelId);
}

export async function main(): Promise<void> {
  const r = await startApp({ mixer: { default: 'asterisk' } }, { speed: 1 });
  try {
    console.log(`group actions, ${CALLERS} callers, Asterisk mixer on the ARI double at real prompt lengths`);
    // Released when the leader arrives: music stopped and voice back in the mix.
    const waiting = await fill(r, '900', 'wM', CALLERS);
    await waitFor(() => waiting.every((id) => r.ast.channel(id)?.moh === true), 30_000, 'all hearing music');
    const t0 = performance.now();
    r.ast.dial({ exten: '900', args: ['900', 'Aq'] });
    const released = await whenEach(
      waiting,
      (id) => {
        const c = r.ast.channel(id);
        return c !== undefined && !c.moh && !c.mute.in && c.playbacks.size === 0;
      },
      t0,
      120_000,
    );
    spread('release of the waiting callers (music off, prompt over, unmuted), from the leader dialling', released);
    // Kicks over the control surface the REST API calls.
    const ids = r.app.manager.get('900').participants.filter((p) => !p.marked);
    const one = ids[0]!;
    let t = performance.now();
    await r.app.manager.kick('900', one.id);
    console.log(`  single kick answers after ${seconds(performance.now() - t)}`);
    t = performance.now();
    const rest = ids.slice(1).map((p) => p.channelId);
    const outOfMix = whenEach(rest, (id) => r.ast.channel(id)?.bridge === undefined, t, 120_000);
    // A kick sends the caller on in the dialplan, as MeetMe does: out of Stasis, the channel lives on.
    const gone = whenEach(rest, (id) => r.ast.channel(id)?.app === undefined, t, 120_000);
    await r.app.manager.kickAll('900');
    console.log(`  kick-all of ${rest.length} answers after ${seconds(performance.now() - t)}`);
    spread('kicked callers out of the bridge, from the kick-all', await outOfMix);
    spread('kicked callers back in the dialplan (after conf-kicked), from the kick-all', await gone);
    // Removed with the leader (`x`).
    const leader = r.ast.dial({ exten: '901', args: ['901', 'Aq'] });
    await waitFor(() => size(r, '901') === 1, 30_000, 'leader in');
    const followers = await fill(r, '901', 'xq', CALLERS + 1);
    t = performance.now();
    await leader.hangup();
    const removed = await whenEach(followers, (id) => r.ast.channel(id) === undefined, t, 120_000);
    spread('x callers hung up (after conf-leaderhasleft), from the leader hanging up', removed);
  } finally {
    await r.stop();
  }
}
