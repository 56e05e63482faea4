/**
 * `BENCH_OTHER=/path/to/checkout`: another checkout of this repository (an older commit, from `git archive` or a
 * worktree outside this one, with a `node_modules` it can resolve), measured beside this one in the same run, so
 * the two see the same machine and its load. Its TypeScript sources are loaded as this one's are (tsx).
 */
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

export const OTHER = process.env.BENCH_OTHER ? resolve(process.env.BENCH_OTHER) : undefined;

/** A module of the other checkout by its path there (`src/media`), typed as this checkout's `T`. */
export function loadOther<T>(path: string): T {
  if (!OTHER) throw new Error('BENCH_OTHER is not set');
  const load = createRequire(__filename);
  return load(join(OTHER, path)) as T;
}
