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
  /** The recording this file is a part of: part 1's name. A takeover continues it in a new part (part 2, ...). */
  session: string;
  part: number;
  /** The node whose Asterisk holds the file (`asterisk`); null for local files and older rows. */
  node: string | null;
}

/** What the index is told when a part starts; `session` and `part` default to the name itself and 1. */
export interface StartedPart {
  name: string;
  conference: string;
  location: 'local' | 'asterisk';
  path: string;
  startedAt?: string;
  participant?: string;
  session?: string;
  part?: number;
  node?: string;
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
  session: string | null;
  part: number | null;
  node: string | null;
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
  session: r.session ?? r.name,
  part: r.part ?? 1,
  node: r.node,
});

/** Every conference recording, wherever its file lives. */
export class RecordingsIndex {
  constructor(
    private readonly store: Store,
    /** Set when several instances share PostgreSQL: each change is written behind to it (retried, never dropped). */
    private readonly shared?: SharedStore,
  ) {}

  started(entry: StartedPart): void {
    this.write(entry, null);
  }

  /**
   * A part whose writer died (its instance was killed): written whole, ended when the next holder found it, so
   * an index that never saw it start (each instance on its own SQLite) has it too.
   */
  interrupted(entry: StartedPart & { startedAt: string }, facts: { durationSeconds?: number; sizeBytes?: number }): void {
    this.write(entry, { endedAt: new Date().toISOString(), ...facts });
  }

  private write(entry: StartedPart, ended: { endedAt: string; durationSeconds?: number; sizeBytes?: number } | null): void {
    const startedAt = entry.startedAt ?? new Date().toISOString();
    const duration = ended ? (ended.durationSeconds ?? (Date.parse(ended.endedAt) - Date.parse(startedAt)) / 1000) : null;
    this.store.db
      .prepare(
        `INSERT OR REPLACE INTO recordings (name, conference, started_at, ended_at, duration_seconds, size_bytes, location, path,
           participant, session, part, node) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        entry.name,
        entry.conference,
        startedAt,
        ended?.endedAt ?? null,
        duration,
        ended?.sizeBytes ?? null,
        entry.location,
        entry.path,
        entry.participant ?? null,
        entry.session ?? entry.name,
        entry.part ?? 1,
        entry.node ?? null,
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
    const rows = (this.store.db.prepare('SELECT * FROM recordings ORDER BY started_at DESC, part DESC').all() as Row[]).map(fromRow);
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
