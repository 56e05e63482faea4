import type { FastifyInstance } from 'fastify';
import { buildApi } from '../api/buildApi';
import type { SharedConferences } from '../api/shared';
import { LocalRecordingFiles, type RecordingFiles } from '../api/recordingFiles';
import type { Config } from '../config/schema';
import { AppError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { RecordingEntry } from '../store/RecordingsIndex';
import { ignoreGone, isAriError, isNotFound, type AriClient } from '../ari';
import type { MeetmeApp } from './App';

/** How long a recording fetched from Asterisk is kept for the next range request of the same player. */
const FETCHED_KEEP_MS = 60_000;
/** Larger files are not kept: a few of them would hold too much memory. */
const FETCHED_KEEP_MAX_BYTES = 64 * 1024 * 1024;
const FETCHED_KEEP_ENTRIES = 4;

/**
 * Recordings in Asterisk's spool. ARI serves them only whole, while a browser's player asks for many
 * ranges of one file (and each range needs the size first), so a fetched file is kept for a minute.
 */
class AsteriskRecordingFiles implements RecordingFiles {
  private readonly fetched = new Map<string, { file: Promise<Buffer>; at: number }>();

  /**
   * The client of the node whose Asterisk holds the file (the index says which; older entries: the first node),
   * asked when a file is fetched: with leases, nodes join after the API is up.
   */
  constructor(private readonly nodes: { get(id: string): { ari: AriClient } | undefined; all(): { id: string }[] }) {}

  /** The node's client while it is connected; else 503 naming the node, not a 500. */
  private ari(entry: RecordingEntry): AriClient {
    const node = entry.node ?? this.nodes.all()[0]?.id;
    const ari = node === undefined ? undefined : this.nodes.get(node)?.ari;
    if (!ari?.connected)
      throw new AppError(
        'recording_node_unavailable',
        `recording ${entry.name} is on node ${node ?? '(none connected)'}, which this instance cannot reach now`,
        { node: node ?? null },
      );
    return ari;
  }

  /** A node that stopped answering mid-request is unavailable too. */
  private unreachable(entry: RecordingEntry, error: unknown): never {
    if (isAriError(error) && error.ariStatus === 0)
      throw new AppError(
        'recording_node_unavailable',
        `recording ${entry.name} is on node ${entry.node ?? 'unknown'}, which does not answer`,
        {
          node: entry.node,
        },
      );
    throw error;
  }

  private fetch(entry: RecordingEntry): Promise<Buffer> {
    const now = Date.now();
    for (const [name, kept] of this.fetched) if (now - kept.at > FETCHED_KEEP_MS) this.fetched.delete(name);
    const kept = this.fetched.get(entry.name);
    if (kept) return kept.file;
    const file = this.download(entry);
    this.fetched.set(entry.name, { file, at: now });
    if (this.fetched.size > FETCHED_KEEP_ENTRIES) this.fetched.delete(this.fetched.keys().next().value as string);
    file.then(
      (bytes) => {
        if (bytes.length > FETCHED_KEEP_MAX_BYTES) this.fetched.delete(entry.name);
      },
      () => this.fetched.delete(entry.name),
    );
    return file;
  }

  private async download(entry: RecordingEntry): Promise<Buffer> {
    const ari = this.ari(entry);
    try {
      return Buffer.from(await ari.rest.recordings.getStoredFile({ recordingName: entry.name }));
    } catch (error) {
      if (isNotFound(error))
        throw new AppError('recording_file_missing', `Asterisk no longer has recording ${entry.name}`, { field: 'name' });
      return this.unreachable(entry, error);
    }
  }

  async size(entry: RecordingEntry): Promise<number> {
    return (await this.fetch(entry)).length;
  }

  async read(entry: RecordingEntry, start: number, end: number): Promise<Buffer> {
    return (await this.fetch(entry)).subarray(start, end + 1);
  }

  async remove(entry: RecordingEntry): Promise<void> {
    this.fetched.delete(entry.name);
    await ignoreGone(this.ari(entry).rest.recordings.deleteStored({ recordingName: entry.name })).catch((error: unknown) =>
      this.unreachable(entry, error),
    );
  }
}

/** The HTTP API over a running app. */
export function createApi(
  app: MeetmeApp,
  config: Readonly<Config>,
  logger: Logger,
  options: { eventQueueBytes?: number; ha?: () => unknown; shared?: SharedConferences } = {},
): Promise<FastifyInstance> {
  const local = new LocalRecordingFiles();
  const asterisk = new AsteriskRecordingFiles(app.cluster);
  return buildApi({
    logger,
    readiness: () => (options.ha ? { ...app.readiness(), ha: options.ha() } : app.readiness()),
    metrics: async () => ({ contentType: app.metrics.contentType, body: await app.metrics.render() }),
    control: app.manager,
    definitions: app.definitions,
    recordings: app.recordings,
    recordingFiles: (location) => (location === 'local' ? local : asterisk),
    keys: config.apiKeys,
    capacity: app.capacity.service,
    nodes: app.cluster,
    bodyLimitBytes: config.http.bodyLimitBytes,
    join: app.browsers,
    shared: options.shared,
    ...(options.eventQueueBytes !== undefined ? { eventQueueBytes: options.eventQueueBytes } : {}),
  });
}
