import { MeetmeApp } from '../app/App';
import { createApi } from '../app/api';
import type { Config } from '../config/schema';
import { createLogger } from '../lib/logger';
import { setListenerErrorSink } from '../lib/TypedEmitter';

/** Runs the conference server until SIGTERM/SIGINT: then new callers are refused and conferences end. */
export async function serve(config: Readonly<Config>): Promise<number> {
  const logger = createLogger({ level: config.log.level });
  setListenerErrorSink((error, event) => logger.error({ err: error, event }, 'event listener threw'));
  const app = new MeetmeApp({ config, logger });
  logger.info({ ari: config.ari.url, stasisApp: config.ari.app, mixer: config.mixer.default }, 'starting ari-meetme');
  const api = await createApi(app, config, logger);
  await api.listen({ host: config.http.host, port: config.http.port });
  logger.info({ http: `${config.http.host}:${config.http.port}` }, 'API, console and probes listening');
  void app.start();
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      logger.info({ signal }, 'stopping: no new callers');
      app.drain();
      void app.manager.idle(config.shutdown.drainTimeoutMs).then(async () => {
        await app.stop(`app stopping (${signal})`);
        await api.close();
        resolve();
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  logger.info('stopped');
  logger.flush();
  return 0;
}
