import { createReadStream } from 'node:fs';
import { stat, unlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { AppError } from '../lib/errors';
import type { RecordingEntry } from '../store/RecordingsIndex';

/** Where recording bytes come from; local files here, Asterisk's spool from the app layer. */
export interface RecordingFiles {
  size(entry: RecordingEntry): Promise<number>;
  /** Bytes start..end inclusive. */
  read(entry: RecordingEntry, start: number, end: number): Promise<Readable | Buffer>;
  remove(entry: RecordingEntry): Promise<void>;
}

export class LocalRecordingFiles implements RecordingFiles {
  async size(entry: RecordingEntry): Promise<number> {
    try {
      return (await stat(entry.path)).size;
    } catch {
      throw new AppError('recording_file_missing', `the file of recording ${entry.name} is gone`, { field: 'name' });
    }
  }

  async read(entry: RecordingEntry, start: number, end: number): Promise<Readable> {
    return createReadStream(entry.path, { start, end });
  }

  async remove(entry: RecordingEntry): Promise<void> {
    await unlink(entry.path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
}

/** One `bytes=a-b` range (also `a-` and `-n`); null when absent, 'invalid' when it cannot be served. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null | 'invalid' {
  if (header === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return 'invalid';
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'invalid';
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) return 'invalid';
  return { start, end };
}
