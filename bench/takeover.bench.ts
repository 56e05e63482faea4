/**
 * Takeover time: two `serve` instances for one node (real redis-server, the ARI double), three callers mixed by the
 * app; kill -9 the active instance and time until the standby holds the lease and until a caller hears the others
 * again. Each round kills whichever instance is active and starts a fresh standby.
 */
import { AsteriskDouble, type SimCaller } from '../test/double';
import { goertzelDb } from '../test/support/audio';
import { launchInstance, type Instance } from '../test/support/haInstance';
import { waitFor } from '../test/support/logger';
import { RedisServer } from '../test/support/redisServer';

const ROUNDS = 5;
/** i0, i1, then a fresh standby each round: each its own ARI user (`node-<name>`), as launchInstance logs in. */
const NAMES = Array.from({ length: ROUNDS + 2 }, (_, i) => `i${i}`);

const hears = (caller: SimCaller, hz: number): boolean => {
  const heard = caller.heard();
  return goertzelDb(heard.subarray(Math.max(0, heard.length - 1600)), hz) > -40;
};

export async function main(): Promise<void> {
  const ast = await AsteriskDouble.start({
    timing: false,
    speed: 20,
    users: Object.fromEntries(NAMES.map((name) => [`node-${name}`, 'secret'])),
  });
  const redis = await RedisServer.start();
  const running: Instance[] = [];
  const launch = async (name: string): Promise<Instance> => {
    const instance = await launchInstance(name, { ariUrl: ast.url, redisUrl: redis.url, apiKey: 'bench-takeover-admin-key' });
    running.push(instance);
    return instance;
  };
  try {
    let active = await launch('i0');
    await waitFor(() => active.output().includes('lease taken'), 10000, 'first active');
    let standby = await launch('i1');
    const callers = [440, 880, 1200].map((hz, i) => ast.dial({ exten: '800', callerId: `C${i} <10${i}>`, toneHz: hz }));
    await waitFor(() => hears(callers[1]!, 1200) && hears(callers[2]!, 440), 15000, 'mixing');
    const lease: number[] = [];
    const audio: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      active.child.kill('SIGKILL');
      await active.exited;
      const killed = performance.now();
      const next = standby;
      await waitFor(() => next.output().includes('lease taken'), 10000, 'standby active');
      lease.push(performance.now() - killed);
      for (const c of callers) c.clearHeard();
      await waitFor(() => hears(callers[1]!, 1200) && hears(callers[2]!, 440), 10000, 'audio back');
      audio.push(performance.now() - killed);
      active = next;
      standby = await launch(`i${round + 2}`);
    }
    const fmt = (xs: number[]): string => {
      const sorted = [...xs].sort((a, b) => a - b);
      return `median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms, max ${sorted[sorted.length - 1]!.toFixed(0)} ms`;
    };
    console.log(`takeover (lease ttl 2000 ms, ${ROUNDS} kill -9 rounds, 3 app-mixed callers):`);
    console.log(`  kill -9 to standby holding the lease: ${fmt(lease)}`);
    console.log(`  kill -9 to audio back (a caller hears the others): ${fmt(audio)} (target 5000 ms)`);
  } finally {
    for (const run of running) run.child.kill('SIGKILL');
    await Promise.all(running.map((r) => r.exited));
    await ast.stop();
    await redis.stop();
  }
}
