import { z } from 'zod';
import { definitionProblems, definitionSchema } from '../conference/definition';
import type { ConferenceDefinition, ConferenceDirectory } from '../conference/ports';
import { AppError } from '../lib/errors';
import type { Row as SharedRow, SharedStore } from './SharedStore';
import type { Store } from './Store';

/**
 * The SQL mapping, from the definition's own fields: each field is the column of its snake_case name
 * (a new field needs only its migration); objects and arrays are stored as JSON.
 */
const FIELDS = Object.keys(definitionSchema.shape) as (keyof typeof definitionSchema.shape)[];
const column = (field: string): string => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const JSON_FIELDS = new Set(
  FIELDS.filter((field) => {
    const schema = definitionSchema.shape[field];
    const inner = schema instanceof z.ZodOptional || schema instanceof z.ZodDefault ? schema.unwrap() : schema;
    return inner instanceof z.ZodObject || inner instanceof z.ZodArray;
  }),
);

type Row = Record<string, string | number | null>;

function toValues(definition: ConferenceDefinition): (string | number | null)[] {
  return FIELDS.map((field) => {
    const value = definition[field];
    if (value === undefined) return null;
    return JSON_FIELDS.has(field) ? JSON.stringify(value) : (value as string | number);
  });
}

function fromRow(row: Row): ConferenceDefinition {
  const fields: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const value = row[column(field)];
    if (value === null || value === undefined) continue;
    fields[field] = JSON_FIELDS.has(field) && typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  }
  return definitionSchema.parse(fields);
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
    /** Set when several instances share PostgreSQL: writes go there first; `store` is its mirror. */
    private readonly shared?: SharedStore,
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
    const [problem] = definitionProblems(definition);
    if (problem) throw new AppError(problem.code, problem.message, { field: problem.field });
  }

  private row(definition: ConferenceDefinition): SharedRow {
    const values = toValues(definition);
    const row: SharedRow = Object.fromEntries(FIELDS.map((field, i) => [column(field), values[i] ?? null]));
    return { ...row, updated_at: new Date().toISOString() };
  }

  private write(definition: ConferenceDefinition, insert: boolean): void {
    const columns = FIELDS.filter((field) => field !== 'number').map(column);
    const sql = insert
      ? `INSERT INTO definitions (${columns.join(', ')}, updated_at, number) VALUES (${columns.map(() => '?').join(', ')}, ?, ?)`
      : `UPDATE definitions SET ${columns.map((c) => `${c} = ?`).join(', ')}, updated_at = ? WHERE number = ?`;
    const values = toValues(definition).filter((_, i) => FIELDS[i] !== 'number');
    this.store.db.prepare(sql).run(...values, new Date().toISOString(), definition.number);
  }

  private exists(number: string): AppError {
    return new AppError('definition_exists', `conference ${number} already exists`, { field: 'number' });
  }

  /** Async: with a shared store the write is PostgreSQL's first; its failure (`store_unavailable`) changes nothing. */
  async create(definition: ConferenceDefinition): Promise<ConferenceDefinition> {
    if (this.fixed.has(definition.number)) throw readOnly(definition.number);
    this.validate(definition);
    if (this.shared) {
      if (!(await this.shared.insertDefinition(this.row(definition)))) throw this.exists(definition.number);
    } else {
      this.store.db.transaction(() => {
        if (this.lookup(definition.number)) throw this.exists(definition.number);
        this.write(definition, true);
      })();
    }
    return this.get(definition.number);
  }

  get(number: string): ConferenceDefinition {
    const definition = this.lookup(number);
    if (!definition) throw new AppError('definition_not_found', `no conference ${number} is defined`, { field: 'number' });
    return definition;
  }

  async replace(number: string, definition: Omit<ConferenceDefinition, 'number'>): Promise<ConferenceDefinition> {
    if (this.fixed.has(number)) throw readOnly(number);
    const full = { ...definition, number };
    this.validate(full);
    if (this.shared) {
      if (!(await this.shared.updateDefinition(this.row(full)))) this.get(number);
    } else {
      this.store.db.transaction(() => {
        this.get(number);
        this.write(full, false);
      })();
    }
    return this.get(number);
  }

  async remove(number: string): Promise<void> {
    if (this.fixed.has(number)) throw readOnly(number);
    const removed = this.shared
      ? await this.shared.deleteDefinition(number)
      : this.store.db.prepare('DELETE FROM definitions WHERE number = ?').run(number).changes > 0;
    if (!removed) throw new AppError('definition_not_found', `no conference ${number} is defined`, { field: 'number' });
  }
}
