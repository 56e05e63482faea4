import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';

/** Round trip between the app and its nodes: every packet waits half of it (each one crosses the namespace's lo once). */
const RTT_MS = Number(process.env.MEETME_WAN_RTT_MS ?? 50);
const DELAY_MS = RTT_MS / 2;
const NS = `meetme-wan-${process.pid}`;
const root = join(__dirname, '../..');

function run(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: 'pipe' });
}

/**
 * Makes the namespace. `netem` when the kernel has it; else the reason it has not, and the run delays ARI in a TCP
 * proxy instead (test/support/delayProxy.ts). Undefined when no namespace can be made at all.
 */
function setUp(): { netem: boolean; why?: string } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    run('ip', ['netns', 'add', NS]);
    run('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up']);
  } catch {
    return undefined;
  }
  try {
    run('ip', ['netns', 'exec', NS, 'tc', 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', `${DELAY_MS}ms`]);
    return { netem: true };
  } catch (error) {
    const text = error instanceof Error && 'stderr' in error ? String((error as { stderr: unknown }).stderr).trim() : String(error);
    return { netem: false, why: `tc netem: ${text} (a kernel without CONFIG_NET_SCH_NETEM)` };
  }
}

/**
 * The multi-node tests again, far from Asterisk: inside a network namespace of its own whose every packet waits
 * DELAY_MS in netem, so everything between the app and its nodes (ARI REST, the events socket, RTP, SIP legs)
 * crosses a WAN. Nothing else on the machine sees the delay.
 */
describe('several nodes over a WAN: netem delay between the app and its nodes', function () {
  this.timeout(300000);
  let ns: ReturnType<typeof setUp>;
  before(function () {
    // Inside the namespace this file has nothing to do: the multi-node tests themselves run there.
    if (process.env.MEETME_WAN_INSIDE) this.skip();
    ns = setUp();
    if (!ns) {
      console.log('      skipped: no network namespace (needs root and iproute2)');
      this.skip();
    }
    if (!ns.netem)
      console.log(`      ${ns.why}: ARI goes through a TCP proxy holding each chunk ${DELAY_MS} ms each way instead, RTP direct`);
  });
  after(() => {
    if (ns) run('ip', ['netns', 'del', NS]);
  });

  it(`passes every multi-node test with ${RTT_MS} ms round trip to the nodes, callers joining within 300 ms at p95`, async () => {
    const mocha = join(root, 'node_modules/.bin/mocha');
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        NS,
        'env',
        `MEETME_WAN_RTT_MS=${RTT_MS}`,
        `MEETME_WAN_PROXY_DELAY_MS=${ns?.netem ? 0 : DELAY_MS}`,
        'MEETME_WAN_INSIDE=1',
        mocha,
        'test/integration/multinode.test.ts',
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const latency = /join latency[^\n]*/.exec(output)?.[0];
    if (latency) console.log(`      ${latency}`);
    expect(code, output).to.equal(0);
    expect(latency, 'the join latency figure').to.be.a('string');
  });
});
