import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const MAIN = join(__dirname, '../../src/cli/main.ts');

export interface RunOptions {
  cwd?: string;
  /** Run as this unprivileged user and group (needs root and setpriv), with no supplementary groups. */
  asUser?: { uid: number; gid: number };
}

/** Runs `ari-meetme` as a separate process, collecting what it prints. */
export function runCli(
  args: string[],
  env: Record<string, string>,
  options: RunOptions = {},
): { child: ChildProcess; output: () => string; exited: Promise<number | NodeJS.Signals | null> } {
  const node = [process.execPath, '-r', require.resolve('tsx/cjs'), MAIN, ...args];
  const command = options.asUser
    ? ['setpriv', `--reuid=${options.asUser.uid}`, `--regid=${options.asUser.gid}`, '--clear-groups', ...node]
    : node;
  const child = spawn(command[0]!, command.slice(1), {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  // A process killed by a signal says which.
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  return { child, output: () => output, exited };
}
