import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname, resolve } from 'node:path';
import { AppError } from '../lib/errors';

/** The user this process runs as, as an admin would name it in a chown. */
function runningAs(): { name: string; uid: string } {
  const uid = String(process.getuid?.() ?? '?');
  try {
    return { name: `user ${userInfo().username} (uid ${uid})`, uid };
  } catch {
    // A container may run as a uid with no passwd entry.
    return { name: `uid ${uid}`, uid };
  }
}

/**
 * Makes sure `dir` exists and this process may create files in it (and write `file`, when it exists).
 * Throws `path_not_writable` naming the path and the fix: the app cannot run without its store or its
 * recordings, and an EACCES stack trace tells an admin neither.
 */
export function ensureWritable(what: { setting: string; env: string; dir: string; file?: string }): void {
  const dir = resolve(what.dir);
  const target = what.file !== undefined ? resolve(what.file) : dir;
  let cause: NodeJS.ErrnoException | undefined;
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK | constants.X_OK);
    if (what.file !== undefined && existsSync(target)) accessSync(target, constants.R_OK | constants.W_OK);
  } catch (error) {
    cause = error as NodeJS.ErrnoException;
  }
  if (!cause) return;
  const blocked = cause.path !== undefined ? resolve(cause.path) : dir;
  const user = runningAs();
  const fix =
    cause.code === 'EROFS'
      ? `it is on a read-only file system: set ${what.env} to a writable place (a volume)`
      : blocked === target && what.file !== undefined
        ? `give ${blocked} to that user (chown ${user.uid} ${blocked}) or set ${what.env} to a writable place`
        : `create ${blocked} owned by that user (mkdir -p ${blocked} && chown ${user.uid} ${blocked}) or set ${what.env} to a writable place`;
  throw new AppError(
    'path_not_writable',
    `${what.setting} ${target} cannot be written by ${user.name}: ${cause.code ?? cause.message} on ${blocked}; ${fix}`,
    { path: target },
  );
}

/** The store's file and its directory (SQLite's WAL creates files beside it); `:memory:` needs neither. */
export function ensureStoreWritable(path: string): void {
  if (path === ':memory:') return;
  ensureWritable({ setting: 'store.path', env: 'STORE_PATH', dir: dirname(path), file: path });
}
