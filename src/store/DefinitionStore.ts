import { AppError } from '../lib/errors';
import { parseOptions } from '../conference/options';
import type { ConferenceDefinition, ConferenceDirectory, ConferenceSchedule } from '../conference/ports';
import type { Store } from './Store';

interface Row {
  number: string;
  name: string;
  pin: string | null;
  admin_pin: string | null;
  options: string;
  max_members: number | null;
  mixer: 'app' | 'asterisk' | null;
  recording: 'off' | 'always' | 'on-demand' | null;
  schedule: string | null;
}

function fromRow(row: Row): ConferenceDefinition {
  return {
    number: row.number,
    name: row.name,
    options: row.options,
    ...(row.pin !== null ? { pin: row.pin } : {}),
    ...(row.admin_pin !== null ? { adminPin: row.admin_pin } : {}),
    ...(row.max_members !== null ? { maxMembers: row.max_members } : {}),
    ...(row.mixer !== null ? { mixer: row.mixer } : {}),
    ...(row.recording !== null ? { recording: row.recording } : {}),
    ...(row.schedule !== null ? { schedule: JSON.parse(row.schedule) as ConferenceSchedule } : {}),
  };
}

const readOnly = (number: string): AppError =>
  new AppError('definition_read_only', `conference ${number} is defined in the config file and cannot be changed here`, {
    field: 'number',
  });

/**
 * Conference definitions: the config file's (read-only) over the stored ones. It is the conference
 * domain's directory, and what the API edits.
 */
export class DefinitionStore implements ConferenceDirectory {
  private readonly fixed: Map<string, ConferenceDefinition>;

  constructor(
    private readonly store: Store,
    fixed: readonly ConferenceDefinition[] = [],
  ) {
    this.fixed = new Map(fixed.map((d) => [d.number, { ...d, static: true }]));
  }

  lookup(number: string): ConferenceDefinition | undefined {
    const fixed = this.fixed.get(number);
    if (fixed) return fixed;
    const row = this.store.db.prepare('SELECT * FROM definitions WHERE number = ?').get(number) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  list(): ConferenceDefinition[] {
    const rows = this.store.db.prepare('SELECT * FROM definitions ORDER BY number').all() as Row[];
    return [...this.fixed.values(), ...rows.map(fromRow).filter((d) => !this.fixed.has(d.number))];
  }

  private validate(definition: ConferenceDefinition): void {
    try {
      parseOptions(definition.options);
    } catch (error) {
      throw new AppError('invalid_options', error instanceof Error ? error.message : String(error), { field: 'options' });
    }
    const schedule = definition.schedule;
    if (schedule) {
      const start = Date.parse(schedule.start);
      const end = Date.parse(schedule.end);
      if (Number.isNaN(start)) throw new AppError('invalid_schedule', 'schedule.start is not a date', { field: 'schedule.start' });
      if (Number.isNaN(end) || end <= start)
        throw new AppError('invalid_schedule', 'schedule.end must come after schedule.start', { field: 'schedule.end' });
    }
  }

  private write(definition: ConferenceDefinition, insert: boolean): void {
    const values = [
      definition.name,
      definition.pin ?? null,
      definition.adminPin ?? null,
      definition.options,
      definition.maxMembers ?? null,
      definition.mixer ?? null,
      definition.recording ?? null,
      definition.schedule ? JSON.stringify(definition.schedule) : null,
      new Date().toISOString(),
      definition.number,
    ];
    const sql = insert
      ? 'INSERT INTO definitions (name, pin, admin_pin, options, max_members, mixer, recording, schedule, updated_at, number) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'
      : 'UPDATE definitions SET name = ?, pin = ?, admin_pin = ?, options = ?, max_members = ?, mixer = ?, recording = ?, schedule = ?, updated_at = ? WHERE number = ?';
    this.store.db.prepare(sql).run(...values);
  }

  create(definition: ConferenceDefinition): ConferenceDefinition {
    if (this.fixed.has(definition.number)) throw readOnly(definition.number);
    this.validate(definition);
    this.store.db.transaction(() => {
      if (this.lookup(definition.number))
        throw new AppError('definition_exists', `conference ${definition.number} already exists`, { field: 'number' });
      this.write(definition, true);
    })();
    return this.get(definition.number);
  }

  get(number: string): ConferenceDefinition {
    const definition = this.lookup(number);
    if (!definition) throw new AppError('definition_not_found', `no conference ${number} is defined`, { field: 'number' });
    return definition;
  }

  replace(number: string, definition: Omit<ConferenceDefinition, 'number'>): ConferenceDefinition {
    if (this.fixed.has(number)) throw readOnly(number);
    const full = { ...definition, number };
    this.validate(full);
    this.store.db.transaction(() => {
      this.get(number);
      this.write(full, false);
    })();
    return this.get(number);
  }

  remove(number: string): void {
    if (this.fixed.has(number)) throw readOnly(number);
    const result = this.store.db.prepare('DELETE FROM definitions WHERE number = ?').run(number);
    if (result.changes === 0) throw new AppError('definition_not_found', `no conference ${number} is defined`, { field: 'number' });
  }
}
