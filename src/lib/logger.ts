import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level: string;
  /** Where JSON lines go; tests pass a stream and read them back. Default: async stdout. */
  destination?: DestinationStream;
}

/** Root logger. Children carry `conference` and `channel` fields, never free-text ids. */
export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? pino.destination({ sync: false });
  return pino(
    {
      level: options.level,
      base: { app: 'ari-meetme' },
      redact: { paths: ['password', '*.password', 'apiKey', '*.apiKey', 'headers.authorization'], censor: '[secret]' },
    },
    destination,
  );
}

/** A logger that drops everything; for unit tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
