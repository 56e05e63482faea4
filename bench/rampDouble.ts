/**
 * The ARI double for the ramp bench, on its own thread as Asterisk is its own process: it dials when
 * told and reports who reached the mix (caller and externalMedia together in their leg bridge) and when.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AsteriskDouble, type SimCaller } from '../test/double';

export type ToDouble = { type: 'dial'; exten: string; callerId: string } | { type: 'report' } | { type: 'stop' };
export type FromDouble =
  | { type: 'ready'; url: string }
  | {
      type: 'report';
      dialled: number;
      inMix: number;
      hungUp: number;
      sessions: { open: number; peak: number; refused: number };
      requests: number;
      joinMs: number[];
      /** The double thread's worst event-loop delay since the last report: high when the double is short of CPU. */
      lagMs: number;
    };

async function run(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('rampDouble runs as a worker');
  const options = workerData as { sessionLimit: number; speed: number };
  const ast = await AsteriskDouble.start({ timing: false, speed: options.speed, talkFinishMs: 150, sessionLimit: options.sessionLimit });
  const dialledAt = new Map<string, number>();
  const callers: SimCaller[] = [];
  const joinMs: number[] = [];
  const inMix = new Set<string>();
  let lagMs = 0;
  let lastPoll = performance.now();
  const poll = setInterval(() => {
    const now = performance.now();
    lagMs = Math.max(lagMs, now - lastPoll - 5);
    lastPoll = now;
    for (const b of ast.bridges()) {
      if (!b.name.startsWith('meetme-leg:') || b.channels.length !== 2) continue;
      for (const id of b.channels) {
        const at = dialledAt.get(id);
        if (at === undefined || inMix.has(id)) continue;
        inMix.add(id);
        joinMs.push(now - at);
      }
    }
  }, 5);
  port.on('message', (message: ToDouble) => {
    if (message.type === 'dial') {
      // 50 frames a second for each of 1,000 callers: what they hear is not kept.
      const caller = ast.dial({ exten: message.exten, callerId: message.callerId, keepAudio: false });
      dialledAt.set(caller.channelId, performance.now());
      callers.push(caller);
    } else if (message.type === 'report') {
      const report: FromDouble = {
        type: 'report',
        dialled: callers.length,
        inMix: inMix.size,
        hungUp: callers.filter((c) => c.state === 'gone').length,
        sessions: ast.sessions(),
        requests: ast.requests.length,
        joinMs,
        lagMs,
      };
      lagMs = 0;
      port.postMessage(report);
    } else {
      clearInterval(poll);
      void ast.stop().then(() => port.close());
    }
  });
  port.postMessage({ type: 'ready', url: ast.url } satisfies FromDouble);
}

void run();
