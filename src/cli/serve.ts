import { nodeSettings } from '../cluster/nodes';
import { MeetmeApp } from '../app/App';
import { createApi } from '../app/api';
import type { Config } from '../config/schema';
import { errorMessage, isAppError } from '../lib/errors';
import { createLogger } from '../lib/logger';
import { setListenerErrorSink } from '../lib/TypedEmitter';
import { SharedStore } from '../store/SharedStore';
import { Store } from '../store/Store';
import { ensureStoreWritable, ensureWritable } from '../store/writable';
import { ActiveStandby } from '../ha/ActiveStandby';

/** Runs the conference server until SIGTERM/SIGINT: then new callers are refused and conferences end. */
export async function serve(config: Readonly<Config>): Promise<number> {
  const logger = createLogger({ level: config.log.level });
  setListenerErrorSink((error, event) => logger.error({ err: error, event }, 'event listener threw'));
  try {
    if (config.store.url === undefined) ensureStoreWritable(config.store.path);
    ensureWritable({ setting: 'recordings.dir', env: 'RECORDINGS_DIR', dir: config.recordings.dir });
  } catch (error) {
    if (!isAppError(error) || error.code !== 'path_not_writable') throw error;
    // One line naming the path and the fix; a stack trace would say neither.
    logger.fatal({ path: error.details?.path }, `cannot start: ${error.message}`);
    logger.flush();
    return 1;
  }
  let shared: SharedStore | undefined;
  if (config.store.url !== undefined) {
    try {
      shared = await SharedStore.connect(config.store.url, new Store(':memory:'), logger.child({ component: 'store' }));
    } catch (error) {
      logger.fatal({ code: isAppError(error) ? error.code : undefined }, `cannot start: ${errorMessage(error)}`);
      logger.flush();
      return 1;
    }
  }
  if (config.ha.redisUrl !== undefined) return serveActiveStandby(config, logger, shared);
  const app = new MeetmeApp({ config, logger, ...(shared ? { shared } : {}) });
  logger.info(
    { nodes: nodeSettings(config).map((n) => `${n.id}=${n.url}`), stasisApp: config.ari.app, mixer: config.mixer.default },
    'starting ari-meetme',
  );
  const api = await createApi(app, config, logger);
  await api.listen({ host: config.http.host, port: config.http.port });
  logger.info({ http: `${config.http.host}:${config.http.port}` }, 'API, console and probes listening');
  const code = await new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'stopping: no new callers');
      app.drain();
      void app.manager.idle(config.shutdown.drainTimeoutMs).then(async () => {
        await app.stop(`app stopping (${signal})`);
        await api.close();
        resolve(0);
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    // Asterisk being down is not a failure (the client retries); a port the app cannot bind is.
    app.start().catch(async (error: unknown) => {
      logger.fatal({ err: error }, `cannot start: ${errorMessage(error)}`);
      await app.stop('start failed').catch(() => undefined);
      await api.close();
      resolve(1);
    });
  });
  logger.info(code === 0 ? 'stopped' : 'stopped after a failed start');
  logger.flush();
  return code;
}

/** With Redis configured: one of several instances, active for the node only while it holds the lease. */
async function serveActiveStandby(
  config: Readonly<Config>,
  logger: ReturnType<typeof createLogger>,
  shared: SharedStore | undefined,
): Promise<number> {
  const ha = new ActiveStandby(config, logger, shared);
  logger.info(
    {
      nodes: nodeSettings(config).map((n) => `${n.id}=${n.url}`),
      stasisApp: config.ari.app,
      instance: ha.instance,
      redis: config.ha.redisUrl,
    },
    'starting ari-meetme',
  );
  await ha.start();
  logger.info({ http: `${config.http.host}:${config.http.port}` }, 'API, console and probes listening');
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'stopping: handing the node to a standby');
      void ha.stop().then(resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  logger.info('stopped');
  logger.flush();
  return 0;
}
