import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './cli';
import { freePort } from './freePort';
import { waitFor } from './logger';

/** One `serve` process of several sharing a Redis: its own HTTP port, store and recordings. */
export interface Instance {
  name: string;
  port: number;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | NodeJS.Signals | null>;
}

/**
 * Starts an instance for the node at `ariUrl` (ARI user `node-<name>`), `env` over the defaults (a config file with
 * `nodes:`, a shared store), and waits until it stands by for the lease.
 */
export async function launchInstance(
  name: string,
  at: { ariUrl: string; redisUrl: string; apiKey: string; env?: Record<string, string> },
): Promise<Instance> {
  const port = await freePort();
  const run = runCli(['serve'], {
    ARI_URL: at.ariUrl,
    ARI_USERNAME: `node-${name}`,
    ARI_PASSWORD: 'secret',
    REDIS_URL: at.redisUrl,
    HA_INSTANCE_ID: name,
    MIXER: 'app',
    LOG_LEVEL: 'info',
    HTTP_PORT: String(port),
    MEDIA_PORT: '0',
    MEDIA_SIP_PORT: '0',
    MEDIA_THREADS: '1',
    WEBRTC_ENABLED: 'false',
    API_KEYS: `ops:admin:${at.apiKey}`,
    RECORDINGS_DIR: mkdtempSync(join(tmpdir(), 'rec-')),
    STORE_PATH: join(mkdtempSync(join(tmpdir(), 'store-')), 'm.sqlite'),
    ...at.env,
  });
  try {
    await waitFor(() => run.output().includes('standing by for the node lease'), 20000, `${name} listening`);
  } catch (error) {
    run.child.kill('SIGKILL'); // never left running by a test that failed to start it
    throw error;
  }
  return { name, port, ...run };
}

/**
 * After a test: the last output of each instance when the test failed, then every instance killed (resumed first,
 * in case a test froze it) and waited for; `instances` is left empty.
 */
export async function stopInstances(instances: Instance[], failed: boolean): Promise<void> {
  if (failed) for (const instance of instances) process.stderr.write(`--- ${instance.name}\n${instance.output().slice(-8000)}\n`);
  for (const instance of instances.splice(0)) {
    instance.child.kill('SIGCONT');
    instance.child.kill('SIGKILL');
    await instance.exited;
  }
}
