/** Sounds the double knows, with durations in ms (measured where the transcripts recorded them). */
export const SOUNDS: Readonly<Record<string, number>> = {
  'conf-getpin': 2390,
  'conf-getconfno': 2100,
  'conf-invalid': 1500,
  'conf-invalidpin': 1300,
  'conf-locked': 1600,
  'conf-onlyperson': 3160,
  'conf-thereare': 900,
  'conf-otherinparty': 1400,
  'conf-waitforleader': 2400,
  'conf-enteringno': 1200,
  'conf-kicked': 1500,
  'conf-muted': 1000,
  'conf-unmuted': 1100,
  'conf-lockednow': 1500,
  'conf-unlockednow': 1600,
  'conf-placeintoconf': 1900,
  'conf-leaderhasleft': 1800,
  'conf-hasjoin': 900,
  'conf-hasleft': 900,
  'conf-adminmenu': 6000,
  'conf-usermenu': 4500,
  beep: 420,
  'tt-allbusy': 3000,
  // Measured from asterisk-core-sounds-en (en_US_f_Allison WAVs).
  'vm-rec-name': 4286,
  'vm-review': 7746,
  'vm-msgsaved': 2169,
  'conf-onlyone': 3250,
  'vm-youhave': 907,
  'queue-minutes': 875,
  'queue-seconds': 1120,
};

/** How long a media URI plays; undefined when Asterisk could not play it. */
export function mediaDuration(uri: string): { ms: number; ok: boolean; supported: boolean } {
  const colon = uri.indexOf(':');
  const scheme = colon > 0 ? uri.slice(0, colon) : '';
  const rest = uri.slice(colon + 1);
  switch (scheme) {
    case 'sound': {
      const ms = SOUNDS[rest];
      return ms === undefined ? { ms: 0, ok: false, supported: true } : { ms, ok: true, supported: true };
    }
    case 'number':
      return { ms: 1200, ok: true, supported: true };
    case 'digits':
      return { ms: 800 * rest.length, ok: true, supported: true };
    case 'characters':
      return { ms: 700 * rest.length, ok: true, supported: true };
    case 'tone':
      // tone:beep fails at once ("Failed to parse tone part"); other tones play until stopped.
      return rest === 'beep' ? { ms: 0, ok: false, supported: true } : { ms: Infinity, ok: true, supported: true };
    default:
      return { ms: 0, ok: false, supported: false };
  }
}
