import { AppError } from '../lib/errors';
import type { SharedStore } from './SharedStore';
import type { Store } from './Store';

export interface RecordingEntry {
  name: string;
  conference: string;
  startedAt: string;
  endedAt: string | null;
  durationSeconds: number | null;
  sizeBytes: number | null;
  /** `local`: a WAV the app mixer wrote; `asterisk`: in Asterisk's recording spool. */
  location: 'local' | 'asterisk';
  path: string;
  /** Set for one participant's own recording (per-participant recording); null for the conference's mix. */
  participant: string | null;
}

interface Row {
  name: string;
  conference: string;
  started_at: string;
  ended_at: string | null;
  duration_seconds: number | null;
  size_bytes: number | null;
  location: 'local' | 'asterisk';
  path: string;
  participant: string | null;
}

const fromRow = (r: Row): RecordingEntry => ({
  name: r.name,
  conference: r.conference,
  startedAt: r.started_at,
  endedAt: r.ended_at,
  durationSeconds: r.duration_seconds,
  sizeBytes: r.size_bytes,
  location: r.location,
  path: r.path,
  participant: r.participant,
});

/** Every conference recording, wherever its file lives. */
export class RecordingsIndex {
  constructor(
    private readonly store: Store,
    /** Set when several instances share PostgreSQL: each change is written behind to it (retried, never dropped). */
    private readonly shared?: SharedStore,
  ) {}

  started(entry: {
    name: string;
    conference: string;
    location: 'local' | 'asterisk';
    path: string;
    startedAt?: string;
    participant?: string;
  }): void {
    this.store.db
      .prepare('INSERT OR REPLACE INTO recordings (name, conference, started_at, location, path, participant) VALUES (?, ?, ?, ?, ?, ?)')
      .run(
        entry.name,
        entry.conference,
        entry.startedAt ?? new Date().toISOString(),
        entry.location,
        entry.path,
        entry.participant ?? null,
      );
    this.shared?.recordingChanged(entry.name);
  }

  stopped(name: string, facts: { durationSeconds?: number | undefined; sizeBytes?: number | undefined } = {}): void {
    const entry = this.find(name);
    if (!entry) return;
    const ended = new Date();
    const duration = facts.durationSeconds ?? (ended.getTime() - Date.parse(entry.startedAt)) / 1000;
    this.store.db
      .prepare('UPDATE recordings SET ended_at = ?, duration_seconds = ?, size_bytes = ? WHERE name = ?')
      .run(ended.toISOString(), duration, facts.sizeBytes ?? null, name);
    this.shared?.recordingChanged(name);
  }

  list(conferences?: ReadonlySet<string>): RecordingEntry[] {
    const rows = (this.store.db.prepare('SELECT * FROM recordings ORDER BY started_at DESC').all() as Row[]).map(fromRow);
    return conferences ? rows.filter((r) => conferences.has(r.conference)) : rows;
  }

  find(name: string): RecordingEntry | undefined {
    const row = this.store.db.prepare('SELECT * FROM recordings WHERE name = ?').get(name) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  get(name: string): RecordingEntry {
    const entry = this.find(name);
    if (!entry) throw new AppError('recording_not_found', `no recording ${name}`, { field: 'name' });
    return entry;
  }

  remove(name: string): void {
    this.store.db.prepare('DELETE FROM recordings WHERE name = ?').run(name);
    this.shared?.recordingChanged(name);
  }
}
