/**
 * Migrations whose SQL is the same in SQLite and PostgreSQL, shared by Store.ts and SharedStore.ts so the two
 * numbered lists cannot drift on them.
 */
export const CALLER_FLOW_COLUMN = 'ALTER TABLE definitions ADD COLUMN caller_flow TEXT';

/** A definition's media settings (JSON); which participant a per-participant recording is of. */
export const MEDIA_COLUMNS = `ALTER TABLE definitions ADD COLUMN media TEXT;
   ALTER TABLE recordings ADD COLUMN participant TEXT`;

/**
 * A recording continued after a takeover is parts of one session (part 1 is named as the session); the node
 * whose Asterisk holds an Asterisk-mixer file.
 */
export const RECORDING_PART_COLUMNS = `ALTER TABLE recordings ADD COLUMN session TEXT;
   ALTER TABLE recordings ADD COLUMN part INTEGER;
   ALTER TABLE recordings ADD COLUMN node TEXT`;
