import { AppError } from '../lib/errors';

/** MeetMe's option letters, with the names the API and config may use instead. */
const FLAGS = {
  admin: 'a',
  marked: 'A',
  announceCount: 'c',
  dynamic: 'd',
  dynamicPin: 'D',
  empty: 'e',
  announceNames: 'i',
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
  noOnlyPerson: '1',
} as const;

export type OptionFlag = keyof typeof FLAGS;
export type ConferenceOptions = Readonly<Record<OptionFlag, boolean>>;

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
 * Parses `Mc`, `marked,moh`, `w|x` or a mix. Letters are MeetMe's; a word is a named flag.
 * Unknown letters or names fail with every one of them listed.
 */
export function parseOptions(text: string): ConferenceOptions {
  const result: Record<OptionFlag, boolean> = { ...NO_OPTIONS };
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
    for (const letter of token) {
      // MeetMe letters that take no part here (b, C, F, o, X...) are refused rather than ignored quietly.
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

/** Caller options add to the conference's own. */
export function mergeOptions(base: ConferenceOptions, extra: ConferenceOptions): ConferenceOptions {
  const merged = { ...base };
  for (const key of Object.keys(extra) as OptionFlag[]) merged[key] = base[key] || extra[key];
  return Object.freeze(merged);
}
