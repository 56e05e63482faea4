import type { FastifyInstance } from 'fastify';
import { buildApi } from '../api/buildApi';
import { LocalRecordingFiles, type RecordingFiles } from '../api/recordingFiles';
import type { Config } from '../config/schema';
import { AppError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { RecordingEntry } from '../store/RecordingsIndex';
import { ignoreGone, isNotFound, type AriClient } from '../ari';
import type { MeetmeApp } from './App';

/** Recordings Asterisk made (mixer `asterisk`) live in its spool: fetched over ARI. */
class AsteriskRecordingFiles implements RecordingFiles {
  constructor(private readonly ari: AriClient) {}

  private async fetch(entry: RecordingEntry): Promise<Buffer> {
    try {
      return Buffer.from(await this.ari.rest.recordings.getStoredFile({ recordingName: entry.name }));
    } catch (error) {
      if (isNotFound(error)) throw new AppError('recording_file_missing', `Asterisk no longer has recording ${entry.name}`, 404, { field: 'name' });
      throw error;
    }
  }

  async size(entry: RecordingEntry): Promise<number> {
    return (await this.fetch(entry)).length;
  }

  async read(entry: RecordingEntry, start: number, end: number): Promise<Buffer> {
    return (await this.fetch(entry)).subarray(start, end + 1);
  }

  async remove(entry: RecordingEntry): Promise<void> {
    await ignoreGone(this.ari.rest.recordings.deleteStored({ recordingName: entry.name }));
  }
}

/** The HTTP API over a running app. */
export function createApi(app: MeetmeApp, config: Readonly<Config>, logger: Logger, options: { eventQueueBytes?: number } = {}): Promise<FastifyInstance> {
  const local = new LocalRecordingFiles();
  const asterisk = new AsteriskRecordingFiles(app.ari);
  return buildApi({
    logger,
    readiness: () => app.readiness(),
    metrics: async () => ({ contentType: app.metrics.contentType, body: await app.metrics.render() }),
    control: app.manager,
    definitions: app.definitions,
    recordings: app.recordings,
    recordingFiles: (location) => (location === 'local' ? local : asterisk),
    keys: config.apiKeys,
    bodyLimitBytes: config.http.bodyLimitBytes,
    ...(options.eventQueueBytes !== undefined ? { eventQueueBytes: options.eventQueueBytes } : {}),
  });
}
