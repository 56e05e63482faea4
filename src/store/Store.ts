import Database from 'better-sqlite3';
import { ensureStoreWritable } from './writable';
import { CALLER_FLOW_COLUMN, MEDIA_COLUMNS, RECORDING_PART_COLUMNS } from './portableMigrations';

/** Numbered migrations; each runs once, in a transaction with its record. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE definitions (
     number TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     pin TEXT,
     admin_pin TEXT,
     options TEXT NOT NULL DEFAULT '',
     max_members INTEGER,
     mixer TEXT,
     recording TEXT,
     schedule TEXT,
     updated_at TEXT NOT NULL
   )`,
  `CREATE TABLE recordings (
     name TEXT PRIMARY KEY,
     conference TEXT NOT NULL,
     started_at TEXT NOT NULL,
     ended_at TEXT,
     duration_seconds REAL,
     size_bytes INTEGER,
     location TEXT NOT NULL,
     path TEXT NOT NULL
   )`,
  // Usage history: one row per scope (the service, or a node) and UTC day, its minutes packed (usageCodec.ts).
  `CREATE TABLE usage_days (
     scope TEXT NOT NULL,
     day INTEGER NOT NULL,
     minutes BLOB NOT NULL,
     PRIMARY KEY (scope, day)
   ) WITHOUT ROWID`,
  CALLER_FLOW_COLUMN,
  MEDIA_COLUMNS,
  RECORDING_PART_COLUMNS,
];

/**
 * The embedded store: one SQLite file in WAL mode, so a crash mid-write leaves the last committed state.
 */
export class Store {
  readonly db: Database.Database;

  constructor(path: string) {
    ensureStoreWritable(path);
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.migrate();
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    const row = this.db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as { version: number | null };
    const current = row.version ?? 0;
    MIGRATIONS.forEach((sql, index) => {
      const version = index + 1;
      if (version <= current) return;
      this.db.transaction(() => {
        this.db.exec(sql);
        this.db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(version, new Date().toISOString());
      })();
    });
  }

  get version(): number {
    return (this.db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as { version: number }).version;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
