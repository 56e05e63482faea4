import { silentLogger } from '../../src/lib/logger';
import { MediaEngine, MediaThreads, type MediaEngineOptions, type MediaThreadsOptions } from '../../src/media';

/** RTP on loopback with no sounds or music: the receive, mix and send path alone. */
const LOOPBACK = { bindAddress: '127.0.0.1', port: 0, soundsDir: '/nonexistent', musicDir: '/nonexistent' } as const;

/** A media engine on loopback (a free port), on the main thread; `options` over the defaults. */
export function loopbackEngine(options: Partial<MediaEngineOptions> = {}): MediaEngine {
  return new MediaEngine({ ...LOOPBACK, ptimeMs: 20, logger: silentLogger(), ...options });
}

/** One media thread on loopback, as the app runs them; `options` over the defaults. */
export function loopbackThreads(options: Partial<MediaThreadsOptions> = {}): MediaThreads {
  return new MediaThreads({ ...LOOPBACK, threads: 1, tickLeadMs: 3, logger: silentLogger(), ...options });
}
