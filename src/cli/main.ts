#!/usr/bin/env node
import { ConfigError, loadConfig } from '../config/load';
import { parseArgs, stringFlag } from './args';
import { serve } from './serve';
import { runTimingCommand } from './timing';
import { runDoctor } from './doctor';

const USAGE = `usage: ari-meetme [serve|check-config|timing] [--config file]

  serve          run the conference server (default)
  check-config   validate the configuration and print it (secrets hidden)
  timing         test this host's conference clock [--rate 50] [--seconds 10] [--json]
  doctor         check Asterisk, its modules and prompts, audio end to end and the host clock [--json]

Configuration: a YAML or JSON file (--config or ARI_MEETME_CONFIG) and environment variables
(ARI_URL, ARI_USERNAME, ARI_PASSWORD, ARI_APP, ...); see README.md.`;

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.flags.has('help') || args.command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const command = args.command ?? 'serve';
  if (command === 'timing') return runTimingCommand(argv.slice(argv.indexOf('timing') + 1), process.stdout);
  if (command !== 'serve' && command !== 'check-config' && command !== 'doctor') {
    process.stderr.write(`unknown command "${command}"\n${USAGE}\n`);
    return 2;
  }
  let config;
  try {
    config = loadConfig({ file: stringFlag(args, 'config') });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  if (command === 'doctor')
    return runDoctor(
      config,
      { json: args.flags.has('json'), timingSeconds: Number(stringFlag(args, 'timing-seconds') ?? 2) },
      process.stdout,
    );
  if (command === 'check-config') {
    const shown = {
      ...config,
      ari: { ...config.ari, password: '[secret]' },
      apiKeys: config.apiKeys.map((k) => ({ ...k, key: '[secret]' })),
      webrtc: {
        ...config.webrtc,
        ...(config.webrtc.tokenSecret !== undefined ? { tokenSecret: '[secret]' } : {}),
        iceServers: config.webrtc.iceServers.map((s) => ({ ...s, ...(s.credential !== undefined ? { credential: '[secret]' } : {}) })),
      },
    };
    process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    return 0;
  }
  return serve(config);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
