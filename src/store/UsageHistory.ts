import { DAY_MS, floorTo, scopeKey, type Scope, type UsageMinute } from '../capacity/history';
import type { Store } from './Store';
import { decodeDay, encodeDay, minuteOfDay, type DayMinutes } from './usageCodec';

interface Row {
  day: number;
  minutes: Buffer;
}

/**
 * Per-minute usage of the service and of each node, a row per scope and day. Writes come once a minute;
 * the day being written is kept decoded so each write encodes it once and reads it never.
 */
export class UsageHistory {
  private readonly today = new Map<string, { day: number; minutes: DayMinutes }>();

  constructor(private readonly store: Store) {}

  /** Records minutes (one per scope each minute, or a batch of days), in one transaction; each day touched is encoded once. */
  record(samples: readonly { scope: Scope; minute: UsageMinute }[]): void {
    const touched = new Map<string, { key: string; day: number; minutes: DayMinutes }>();
    for (const { scope, minute } of samples) {
      const key = scopeKey(scope);
      const day = floorTo(minute.at, DAY_MS);
      const id = `${key}@${day}`;
      let open = touched.get(id);
      if (!open) {
        const cached = this.today.get(key);
        const minutes = cached?.day === day ? cached.minutes : (this.readDay(key, day) ?? new Array<undefined>(1440).fill(undefined));
        open = { key, day, minutes };
        touched.set(id, open);
      }
      const { at: _at, ...fields } = minute;
      open.minutes[minuteOfDay(minute.at)] = fields;
    }
    const upsert = this.store.db.prepare(
      'INSERT INTO usage_days (scope, day, minutes) VALUES (?, ?, ?) ON CONFLICT (scope, day) DO UPDATE SET minutes = excluded.minutes',
    );
    this.store.db.transaction(() => {
      for (const open of touched.values()) upsert.run(open.key, open.day, encodeDay(open.minutes));
    })();
    for (const open of touched.values()) {
      const cached = this.today.get(open.key);
      if (!cached || cached.day <= open.day) this.today.set(open.key, { day: open.day, minutes: open.minutes });
    }
  }

  private readDay(key: string, day: number): DayMinutes | undefined {
    const row = this.store.db.prepare('SELECT minutes FROM usage_days WHERE scope = ? AND day = ?').get(key, day) as
      Pick<Row, 'minutes'> | undefined;
    return row ? decodeDay(row.minutes) : undefined;
  }

  /** The recorded minutes in [from, to), in time order. */
  minutes(scope: Scope, from: number, to: number): UsageMinute[] {
    const rows = this.store.db
      .prepare('SELECT day, minutes FROM usage_days WHERE scope = ? AND day >= ? AND day < ? ORDER BY day')
      .all(scopeKey(scope), floorTo(from, DAY_MS), to) as Row[];
    const out: UsageMinute[] = [];
    for (const row of rows) {
      decodeDay(row.minutes).forEach((m, i) => {
        const at = row.day + i * 60_000;
        if (m && at >= from && at < to) out.push({ at, ...m });
      });
    }
    return out;
  }

  /** Nodes with any history. */
  nodes(): string[] {
    const rows = this.store.db.prepare("SELECT DISTINCT scope FROM usage_days WHERE scope LIKE 'node:%' ORDER BY scope").all() as {
      scope: string;
    }[];
    return rows.map((r) => r.scope.slice('node:'.length));
  }

  /** The first recorded day, if any. */
  firstDay(): number | undefined {
    const row = this.store.db.prepare('SELECT MIN(day) AS day FROM usage_days').get() as { day: number | null };
    return row.day ?? undefined;
  }

  /** Drops days that ended before `before`; returns how many rows went. */
  prune(before: number): number {
    return this.store.db.prepare('DELETE FROM usage_days WHERE day + ? <= ?').run(DAY_MS, before).changes;
  }
}
