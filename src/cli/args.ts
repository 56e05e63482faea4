/** Tiny flag parser: `--name value`, `--name=value` and boolean `--flag`. Unknown flags are errors. */
export interface ParsedArgs {
  command: string | undefined;
  flags: Map<string, string | true>;
  rest: string[];
}

export function parseArgs(argv: string[]): ParsedArgs {
  const flags = new Map<string, string | true>();
  const rest: string[] = [];
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      if (eq > 0) flags.set(arg.slice(2, eq), arg.slice(eq + 1));
      else {
        const next = argv[i + 1];
        if (next !== undefined && !next.startsWith('--')) {
          flags.set(arg.slice(2), next);
          i++;
        } else flags.set(arg.slice(2), true);
      }
    } else if (command === undefined) command = arg;
    else rest.push(arg);
  }
  return { command, flags, rest };
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags.get(name);
  return typeof value === 'string' ? value : undefined;
}
