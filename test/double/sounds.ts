import measured from '../fixtures/sounds/durations.json';

/**
 * Sounds the double knows, with their lengths in ms: the real files' (test/fixtures/sounds, measured from
 * Debian's asterisk-core-sounds-en-wav, as the lab Asterisk plays them).
 */
export const SOUNDS: Readonly<Record<string, number>> = measured;

/** The files Asterisk's English say_number plays for `n` (main/say.c get_number_str_en), up to 999,999. */
function numberFiles(n: number): string[] {
  if (n === 0) return ['digits/0'];
  if (n >= 1000) return [...numberFiles(Math.floor(n / 1000)), 'digits/thousand', ...(n % 1000 ? numberFiles(n % 1000) : [])];
  const files: string[] = [];
  let rest = n;
  if (rest >= 100) files.push(`digits/${Math.floor(rest / 100)}`, 'digits/hundred');
  rest %= 100;
  if (rest >= 20) {
    files.push(`digits/${rest - (rest % 10)}`);
    rest %= 10;
  }
  if (rest > 0) files.push(`digits/${rest}`);
  return files;
}

type Played = { ms: number; ok: boolean; supported: boolean };

/** Files played one after another, their lengths added; a missing one fails the playback. */
function playFiles(files: string[]): Played {
  let ms = 0;
  for (const file of files) {
    const length = SOUNDS[file];
    if (length === undefined) return { ms: 0, ok: false, supported: true };
    ms += length;
  }
  return { ms, ok: true, supported: true };
}

const DIGIT_FILES: Readonly<Record<string, string>> = { '*': 'digits/star', '#': 'digits/pound' };

/** How long a media URI plays; undefined when Asterisk could not play it. */
export function mediaDuration(uri: string): Played {
  const colon = uri.indexOf(':');
  const scheme = colon > 0 ? uri.slice(0, colon) : '';
  const rest = uri.slice(colon + 1);
  switch (scheme) {
    case 'sound':
      return playFiles([rest]);
    case 'number': {
      const n = Number(rest);
      return Number.isInteger(n) && n >= 0 && n < 1_000_000 ? playFiles(numberFiles(n)) : playFiles([`digits/${rest}`]);
    }
    case 'digits':
      return playFiles([...rest].map((d) => DIGIT_FILES[d] ?? `digits/${d}`));
    case 'characters':
      return playFiles([...rest.toLowerCase()].map((c) => (/[0-9]/.test(c) ? `digits/${c}` : `letters/${c}`)));
    case 'tone':
      // tone:beep fails at once ("Failed to parse tone part"); other tones play until stopped.
      return rest === 'beep' ? { ms: 0, ok: false, supported: true } : { ms: Infinity, ok: true, supported: true };
    default:
      return { ms: 0, ok: false, supported: false };
  }
}
