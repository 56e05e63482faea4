import { AppError } from '../lib/errors';

/** MeetMe's option letters, with the names the API and config may use instead. */
const FLAGS = {
  admin: 'a',
  marked: 'A',
  announceCount: 'c',
  kickContinue: 'C',
  dynamic: 'd',
  dynamicPin: 'D',
  empty: 'e',
  /** app_meetme's `i` (CONFFLAG_INTROUSER): the name with review (ast_record_review); `I`: without. */
  announceNames: 'i',
  announceNamesNoReview: 'I',
  closeLast: 'k',
  listenOnly: 'l',
  muted: 'm',
  moh: 'M',
  exitHash: 'p',
  alwaysPin: 'P',
  quiet: 'q',
  record: 'r',
  menu: 's',
  talkOnly: 't',
  talkerEvents: 'T',
  waitMarked: 'w',
  endMarked: 'x',
  exitContext: 'X',
  noOnlyPerson: '1',
} as const;

export type OptionFlag = keyof typeof FLAGS;

/** MeetMe's `L(x[:y[:z]])`: at most `limitMs` in the conference, a warning `warningMs` before the end, again every `repeatMs`. */
export interface TimeLimit {
  limitMs: number;
  warningMs: number;
  repeatMs: number;
}

/** The options that take arguments. */
export interface OptionArgs {
  limit?: TimeLimit;
  /** MeetMe's `S(x)`: the caller is let go this many seconds after joining. */
  stopAfterSeconds?: number;
}

export type ConferenceOptions = Readonly<Record<OptionFlag, boolean> & OptionArgs>;

const BY_LETTER = new Map<string, OptionFlag>(Object.entries(FLAGS).map(([name, letter]) => [letter, name as OptionFlag]));
const BY_NAME = new Map<string, OptionFlag>(
  Object.keys(FLAGS).map((name) => [name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), name as OptionFlag]),
);
// MeetMe's long-standing spellings.
BY_NAME.set('wait-leader', 'waitMarked').set('end-leader', 'endMarked').set('music', 'moh').set('leader', 'marked');

export const NO_OPTIONS: ConferenceOptions = Object.freeze(
  Object.fromEntries(Object.keys(FLAGS).map((k) => [k, false])) as Record<OptionFlag, boolean>,
);

/**
 * `L(x[:y[:z]])` as app_meetme reads it: no limit, no limit; a warning further out than the limit moves in by the
 * repeat interval until it fits (or is dropped).
 */
function parseLimit(text: string): TimeLimit | undefined {
  const [limitMs = 0, warning = 0, repeatMs = 0] = text.split(':').map((n) => Number.parseInt(n, 10) || 0);
  if (limitMs <= 0) return undefined;
  let warningMs = Math.max(0, warning);
  if (warningMs > limitMs) {
    if (repeatMs <= 0) warningMs = 0;
    else while (warningMs > limitMs) warningMs -= repeatMs;
    if (warningMs < 1) return { limitMs, warningMs: 0, repeatMs: 0 };
  }
  return { limitMs, warningMs, repeatMs: Math.max(0, repeatMs) };
}

/** Letters that take `(arguments)`; any other letter followed by `(` is refused. */
const WITH_ARGS: Record<string, (args: string, into: { -readonly [K in keyof OptionArgs]: OptionArgs[K] }) => boolean> = {
  L: (args, into) => {
    if (!/^\d+(:\d*){0,2}$/.test(args)) return false;
    const limit = parseLimit(args);
    if (limit) into.limit = limit;
    return true;
  },
  S: (args, into) => {
    if (!/^\d+$/.test(args)) return false;
    const seconds = Number(args);
    if (seconds > 0) into.stopAfterSeconds = seconds;
    return true;
  },
};

/**
 * Parses `Mc`, `marked,moh`, `w|x`, `L(600000:60000:30000)S(3600)` or a mix. Letters are MeetMe's; a word is a
 * named flag. Unknown letters or names fail with every one of them listed.
 */
export function parseOptions(text: string): ConferenceOptions {
  const result: Record<OptionFlag, boolean> & OptionArgs = { ...NO_OPTIONS };
  const unknown: string[] = [];
  for (const token of text.split(/[,|\s]+/).filter(Boolean)) {
    const named = BY_NAME.get(token.toLowerCase());
    if (named) {
      result[named] = true;
      continue;
    }
    if (token.length > 1 && /^[a-z]+(-[a-z]+)+$/.test(token)) {
      unknown.push(token);
      continue;
    }
    for (let i = 0; i < token.length; i++) {
      const letter = token[i] as string;
      const withArgs = WITH_ARGS[letter];
      if (withArgs) {
        const close = token.indexOf(')', i);
        if (close < 0 || token[i + 1] !== '(') {
          unknown.push(letter);
          continue;
        }
        if (!withArgs(token.slice(i + 2, close), result)) unknown.push(token.slice(i, close + 1));
        i = close;
        continue;
      }
      // MeetMe letters that take no part here (b, F, o, v...) are refused rather than ignored quietly.
      const flag = BY_LETTER.get(letter);
      if (flag) result[flag] = true;
      else unknown.push(letter);
    }
  }
  if (unknown.length > 0) {
    throw new AppError('invalid_options', `unknown conference options: ${unknown.join(', ')}`, { unknown });
  }
  return Object.freeze(result);
}

/** Caller options add to the conference's own; a caller's limit replaces the conference's. */
export function mergeOptions(base: ConferenceOptions, extra: ConferenceOptions): ConferenceOptions {
  const merged: Record<OptionFlag, boolean> & OptionArgs = { ...base };
  for (const key of Object.keys(FLAGS) as OptionFlag[]) merged[key] = base[key] || extra[key];
  const limit = extra.limit ?? base.limit;
  const stopAfterSeconds = extra.stopAfterSeconds ?? base.stopAfterSeconds;
  if (limit) merged.limit = limit;
  if (stopAfterSeconds !== undefined) merged.stopAfterSeconds = stopAfterSeconds;
  return Object.freeze(merged);
}
