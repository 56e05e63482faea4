import pg from 'pg';
import { AppError, errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { Store } from './Store';
import { CALLER_FLOW_COLUMN, MEDIA_COLUMNS, RECORDING_PART_COLUMNS } from './portableMigrations';

/** The shared tables, as in Store.ts's migrations, with PostgreSQL's types where SQLite's differ. */
const PG_MIGRATIONS: readonly string[] = [
  `CREATE TABLE definitions (
     number TEXT PRIMARY KEY, name TEXT NOT NULL, pin TEXT, admin_pin TEXT, options TEXT NOT NULL DEFAULT '',
     max_members INTEGER, mixer TEXT, recording TEXT, schedule TEXT, updated_at TEXT NOT NULL)`,
  `CREATE TABLE recordings (
     name TEXT PRIMARY KEY, conference TEXT NOT NULL, started_at TEXT NOT NULL, ended_at TEXT,
     duration_seconds DOUBLE PRECISION, size_bytes BIGINT, location TEXT NOT NULL, path TEXT NOT NULL)`,
  // Usage history stays per instance (in the embedded store): nothing shared to migrate.
  'SELECT 1',
  CALLER_FLOW_COLUMN,
  MEDIA_COLUMNS,
  RECORDING_PART_COLUMNS,
];

const CHANNEL = 'meetme_store';
type Table = 'definitions' | 'recordings';
const KEY: Record<Table, string> = { definitions: 'number', recordings: 'name' };
export type Row = Record<string, string | number | null>;

const unavailable = (error: unknown): AppError =>
  new AppError('store_unavailable', `the shared store cannot be reached: ${errorMessage(error)}`);

/**
 * PostgreSQL shared by every instance, mirrored into this instance's embedded store (in memory), which the
 * callers keep reading synchronously. Definition writes go to PostgreSQL first (awaited: a failure is the
 * API's error), then to the mirror; the recordings index is written behind, retried until PostgreSQL takes it.
 * Other instances' writes arrive by LISTEN/NOTIFY, and a full reload at each (re)connect covers what a
 * disconnected listener missed.
 */
export class SharedStore {
  private listener: pg.Client | undefined;
  private readonly behind: { name: string; write: () => Promise<void> }[] = [];
  private flushing: Promise<void> | undefined;
  private closed = false;
  private retry: NodeJS.Timeout | undefined;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
    /** This instance's in-memory mirror, which the callers read. */
    readonly cache: Store,
    private readonly log: Logger,
  ) {}

  /** Connects, migrates and loads everything; throws `store_unavailable` when PostgreSQL cannot be reached. */
  static async connect(url: string, cache: Store, log: Logger): Promise<SharedStore> {
    const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 3000 });
    pool.on('error', (error) => log.warn({ err: errorMessage(error) }, 'shared store connection lost'));
    const shared = new SharedStore(pool, url, cache, log);
    try {
      await shared.migrate();
      await shared.listen();
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw unavailable(error);
    }
    return shared;
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      // One instance migrates at a time: the others wait on the lock, then find the versions recorded.
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock(7131313)');
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
      const current = Number(
        (await client.query<{ v: number }>('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations')).rows[0]?.v,
      );
      for (const [index, sql] of PG_MIGRATIONS.entries()) {
        if (index + 1 <= current) continue;
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)', [index + 1, new Date().toISOString()]);
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** LISTEN first, then reload: a change made in between is both notified and loaded, never missed. */
  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 3000 });
    client.on('error', () => undefined);
    client.on('end', () => this.listenerLost(client));
    client.on('notification', (message) => void this.changed(message.payload));
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.listener = client;
    await this.reload();
  }

  private listenerLost(client: pg.Client): void {
    if (this.closed || this.listener !== client) return;
    this.listener = undefined;
    this.log.warn('shared store: change feed lost, reconnecting');
    const again = (): void => {
      this.retry = setTimeout(() => {
        if (this.closed) return;
        this.listen().then(
          () => this.log.info('shared store: change feed back, everything reloaded'),
          () => again(),
        );
      }, 1000);
    };
    again();
  }

  private async reload(): Promise<void> {
    const [definitions, recordings] = await Promise.all([
      this.pool.query<Row>('SELECT * FROM definitions'),
      this.pool.query<Row>('SELECT * FROM recordings'),
    ]);
    this.cache.db.transaction(() => {
      this.cache.db.exec('DELETE FROM definitions; DELETE FROM recordings');
      for (const row of definitions.rows) this.mirror('definitions', row);
      for (const row of recordings.rows) this.mirror('recordings', row);
    })();
  }

  private async changed(payload: string | undefined): Promise<void> {
    if (!payload) return;
    const { table, key } = JSON.parse(payload) as { table: Table; key: string };
    // Our own change still queued is newer than what PostgreSQL holds: its echo must not undo it here.
    if (table === 'recordings' && this.behind.some((job) => job.name === key)) return;
    try {
      const result = await this.pool.query<Row>(`SELECT * FROM ${table} WHERE ${KEY[table]} = $1`, [key]);
      const row = result.rows[0];
      if (row) this.mirror(table, row);
      else this.cache.db.prepare(`DELETE FROM ${table} WHERE ${KEY[table]} = ?`).run(key);
    } catch (error) {
      this.log.warn({ table, key, err: errorMessage(error) }, 'shared store: a change could not be read; the next reconnect reloads it');
    }
  }

  private mirror(table: Table, row: Row): void {
    const columns = Object.keys(row);
    const values = columns.map((c) => (typeof row[c] === 'string' && c === 'size_bytes' ? Number(row[c]) : row[c]));
    this.cache.db
      .prepare(`INSERT OR REPLACE INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`)
      .run(...values);
  }

  /**
   * Writes one row (or deletes it, `row` undefined) and notifies every instance, in one transaction.
   * `mode` insert: false when the key exists; update: false when it does not.
   */
  private async write(table: Table, key: string, row: Row | undefined, mode: 'insert' | 'update' | 'upsert'): Promise<boolean> {
    const client = await this.pool.connect().catch((error: unknown) => {
      throw unavailable(error);
    });
    try {
      await client.query('BEGIN');
      let changed: number;
      if (row === undefined) {
        changed = (await client.query(`DELETE FROM ${table} WHERE ${KEY[table]} = $1`, [key])).rowCount ?? 0;
      } else {
        const columns = Object.keys(row);
        const params = columns.map((_, i) => `$${i + 1}`).join(', ');
        const set = columns.filter((c) => c !== KEY[table]).map((c) => `${c} = EXCLUDED.${c}`);
        const sql =
          mode === 'update'
            ? `UPDATE ${table} SET ${columns.map((c, i) => `${c} = $${i + 1}`).join(', ')} WHERE ${KEY[table]} = $${columns.length + 1}`
            : `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${params}) ON CONFLICT (${KEY[table]}) ` +
              (mode === 'insert' ? 'DO NOTHING' : `DO UPDATE SET ${set.join(', ')}`);
        const values = columns.map((c) => row[c]);
        changed = (await client.query(sql, mode === 'update' ? [...values, key] : values)).rowCount ?? 0;
      }
      await client.query('SELECT pg_notify($1, $2)', [CHANNEL, JSON.stringify({ table, key })]);
      await client.query('COMMIT');
      if (changed > 0) {
        if (row) this.mirror(table, row);
        else this.cache.db.prepare(`DELETE FROM ${table} WHERE ${KEY[table]} = ?`).run(key);
      }
      return changed > 0;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error instanceof AppError ? error : unavailable(error);
    } finally {
      client.release();
    }
  }

  insertDefinition(row: Row): Promise<boolean> {
    return this.write('definitions', String(row.number), row, 'insert');
  }

  updateDefinition(row: Row): Promise<boolean> {
    return this.write('definitions', String(row.number), row, 'update');
  }

  deleteDefinition(number: string): Promise<boolean> {
    return this.write('definitions', number, undefined, 'upsert');
  }

  /** The recordings index, written behind in order; a failed write is logged and retried, never dropped. */
  recordingChanged(name: string): void {
    // The row as it is now: a later change queues its own write.
    const row = this.cache.db.prepare('SELECT * FROM recordings WHERE name = ?').get(name) as Row | undefined;
    this.behind.push({ name, write: () => this.write('recordings', name, row, 'upsert').then(() => undefined) });
    void this.flush();
  }

  /** Resolves once every queued recordings write reached PostgreSQL. */
  flush(): Promise<void> {
    this.flushing ??= (async () => {
      while (this.behind.length > 0 && !this.closed) {
        try {
          await this.behind[0]!.write();
          this.behind.shift();
        } catch (error) {
          this.log.warn({ pending: this.behind.length, err: errorMessage(error) }, 'shared store: recordings index write failed, retrying');
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      }
    })().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  async close(): Promise<void> {
    await Promise.race([this.flush(), new Promise((resolve) => setTimeout(resolve, 3000))]);
    if (this.behind.length > 0)
      this.log.error({ pending: this.behind.length }, 'shared store: recordings index writes not delivered at stop');
    this.closed = true;
    clearTimeout(this.retry);
    await this.listener?.end().catch(() => undefined);
    await this.pool.end().catch(() => undefined);
  }
}
