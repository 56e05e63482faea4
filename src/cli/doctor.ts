import { AriClient, probeSessions } from '../ari';
import type { Config } from '../config/schema';
import { DEFAULT_PROMPTS } from '../conference/prompts';
import { errorMessage } from '../lib/errors';
import { silentLogger } from '../lib/logger';
import { ConferenceTimer } from '../timing/ConferenceTimer';
import { readFileSync } from 'node:fs';
import { hostTimer, modules, prompts, reachability, receiveBuffer, sessionLimit, type Check } from './doctor/checks';
import { selfTest } from './doctor/selfTest';

export interface DoctorOptions {
  json: boolean;
  timingSeconds: number;
}

async function timerCheck(seconds: number): Promise<Check> {
  const timer = new ConferenceTimer({ intervalMs: 20 });
  timer.begin();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  await timer.stop();
  return hostTimer(timer.stats());
}

function readRmemMax(): number | undefined {
  try {
    return Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim());
  } catch {
    return undefined;
  }
}

/** `ari-meetme doctor`: can this Asterisk and this host carry conferences? Exit 1 on any failed check. */
export async function runDoctor(config: Config, options: DoctorOptions, out: NodeJS.WritableStream): Promise<number> {
  const logger = silentLogger();
  const ari = new AriClient({
    url: config.ari.url,
    username: config.ari.username,
    password: config.ari.password,
    app: config.ari.app,
    requestTimeoutMs: config.ari.requestTimeoutMs,
    maxConnections: config.ari.maxConnections,
    logger,
  });
  const checks: Check[] = [];
  try {
    const reach = await reachability(ari, config);
    checks.push(...reach.checks);
    if (reach.reachable) {
      checks.push(...(await modules(ari, config, reach.version)));
      // The prompts the app will play: the defaults, and `prompts:` from the config file over them.
      checks.push(await prompts(ari, { ...DEFAULT_PROMPTS, ...config.prompts }));
      const probe = await probeSessions({
        url: config.ari.url,
        username: config.ari.username,
        password: config.ari.password,
        count: config.ari.maxConnections + 2,
        timeoutMs: config.ari.requestTimeoutMs,
      });
      checks.push(sessionLimit(probe, config.ari.maxConnections));
      checks.push(await selfTest(config, logger));
    }
  } catch (error) {
    checks.push({ name: 'ARI', status: 'fail', detail: errorMessage(error) });
  } finally {
    await ari.close();
  }
  checks.push(await timerCheck(options.timingSeconds));
  checks.push(receiveBuffer(readRmemMax()));
  const failed = checks.filter((c) => c.status === 'fail').length;
  if (options.json) out.write(`${JSON.stringify({ ok: failed === 0, checks })}\n`);
  else {
    for (const c of checks) {
      out.write(`${c.status.toUpperCase().padEnd(4)}  ${c.name}: ${c.detail}\n`);
      if (c.fix && c.status !== 'pass') out.write(`      fix: ${c.fix}\n`);
    }
    out.write(failed === 0 ? '\nthis Asterisk can host conferences\n' : `\n${failed} check(s) failed\n`);
  }
  return failed === 0 ? 0 : 1;
}
