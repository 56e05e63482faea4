import { MeetmeApp, type AppDeps } from '../../src/app/App';
import { configSchema, type Config, type ConfigInput } from '../../src/config/schema';
import { AsteriskDouble, type DoubleOptions } from '../double';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSounds } from './audio';
import { captureLogger, waitFor } from './logger';

export interface Running {
  ast: AsteriskDouble;
  app: MeetmeApp;
  config: Config;
  logs: () => Record<string, unknown>[];
  stop(this: Running): Promise<void>;
}

/** A double Asterisk and the app connected to it, as an admin would run them. */
export async function startApp(config: ConfigInput, double: DoubleOptions = {}, extra: Partial<AppDeps> = {}): Promise<Running> {
  const ast = await AsteriskDouble.start({ speed: 20, talkFinishMs: 150, ...double });
  const { logger, lines } = captureLogger('debug');
  const parsed = configSchema.parse({
    ...config,
    ari: { url: ast.url, ...config.ari },
    // The tests were written for one mixer each; `auto` has its own test.
    mixer: { default: 'app', ...config.mixer },
    limits: { digitTimeoutMs: 1500, ...config.limits },
    media: { port: 0, sipPort: 0, ...makeSounds(), ...config.media },
    recordings: { dir: mkdtempSync(join(tmpdir(), 'meetme-rec-')), ...config.recordings },
    store: { path: ':memory:', ...config.store },
    http: { port: 0, ...config.http },
  });
  const app = new MeetmeApp({ config: parsed, logger, ...extra });
  await app.start();
  await waitFor(() => app.ready, 5000, 'app ready');
  return {
    ast,
    app,
    config: parsed,
    logs: lines,
    async stop(this: Running) {
      await this.app.stop();
      await this.ast.stop();
    },
  };
}

/**
 * A second app against the same double and recordings, as after the first process died (not started); `config`
 * as the first was given.
 */
export function nextApp(r: Running, config: ConfigInput): { app: MeetmeApp; logs: () => Record<string, unknown>[] } {
  const { logger, lines } = captureLogger();
  const parsed = configSchema.parse({
    ...config,
    ari: { url: r.ast.url },
    media: { port: 0, sipPort: 0 },
    recordings: { dir: r.app.recordingsDir },
    store: { path: ':memory:' },
  });
  return { app: new MeetmeApp({ config: parsed, logger }), logs: lines };
}

export { waitFor };
