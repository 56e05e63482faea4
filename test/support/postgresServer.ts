import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './freePort';

const BIN = '/usr/lib/postgresql/15/bin';

/** PostgreSQL refuses to run as root: when we are root, its programs run as the `postgres` user. */
function asServerUser(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

/** A real PostgreSQL on a free port in a temp directory (trust auth, fsync off); it can be stopped and started again. */
export class PostgresServer {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<PostgresServer> {
    const dir = mkdtempSync(join(tmpdir(), 'meetme-pg-'));
    chmodSync(dir, 0o755);
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    if (process.getuid?.() === 0) chownSync(dir, uid, gid);
    const [cmd, args] = asServerUser(`${BIN}/initdb`, ['-D', join(dir, 'data'), '-U', 'meetme', '-A', 'trust', '--no-sync']);
    execFileSync(cmd, args, { stdio: 'ignore' });
    const server = new PostgresServer(await freePort(), dir);
    await server.resume();
    return server;
  }

  get url(): string {
    return `postgres://meetme@127.0.0.1:${this.port}/postgres`;
  }

  /** Starts the server (again) and waits until it answers. */
  async resume(): Promise<void> {
    const options = ['-D', join(this.dir, 'data'), '-p', String(this.port), '-h', '127.0.0.1', '-k', this.dir, '-F'];
    const [cmd, args] = asServerUser(`${BIN}/postgres`, options);
    this.child = spawn(cmd, args, { stdio: 'ignore' });
    for (let i = 0; i < 200; i++) {
      const probe = new pg.Client({ connectionString: this.url });
      probe.on('error', () => undefined);
      const ok = await probe.connect().then(
        () => true,
        () => false,
      );
      await probe.end().catch(() => undefined);
      if (ok) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('postgres did not start');
  }

  /** Stops the server quickly (fast shutdown: committed data kept); runuser does not pass signals on, so pg_ctl does it. */
  async halt(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const [cmd, args] = asServerUser(`${BIN}/pg_ctl`, ['stop', '-D', join(this.dir, 'data'), '-m', 'fast', '-w']);
    execFileSync(cmd, args, { stdio: 'ignore' });
    await exited;
  }

  async stop(): Promise<void> {
    await this.halt();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
