import { z } from 'zod';
import type { MediaUri } from './ports';

/** Asterisk's own conference prompts (asterisk-core-sounds); `prompts:` in the config file replaces any of them. */
export interface PromptSet {
  getConfno: MediaUri;
  enteringNo: MediaUri;
  invalid: MediaUri;
  getPin: MediaUri;
  invalidPin: MediaUri;
  locked: MediaUri;
  onlyPerson: MediaUri;
  thereAre: MediaUri;
  otherInParty: MediaUri;
  waitForLeader: MediaUri;
  placeIntoConf: MediaUri;
  leaderHasLeft: MediaUri;
  kicked: MediaUri;
  muted: MediaUri;
  unmuted: MediaUri;
  lockedNow: MediaUri;
  unlockedNow: MediaUri;
  userMenu: MediaUri;
  adminMenu: MediaUri;
  enterTone: MediaUri;
  leaveTone: MediaUri;
  /** A booked conference outside its window. */
  notStarted: MediaUri;
  /** Played to everyone before a booked conference ends. */
  endWarning: MediaUri;
  /** New callers while the app drains for shutdown. */
  unavailable: MediaUri;
  /** A caller whose Asterisk-mixed conference lives on another Asterisk server, when they cannot be sent there. */
  otherNode: MediaUri;
  /** Before recording a caller's name (`i`, `I`). */
  recordName: MediaUri;
  /** `I`: after the name: 1 to accept, 2 to hear it, 3 to record it again. */
  reviewName: MediaUri;
  nameSaved: MediaUri;
  /** After a caller's name, to the others. */
  hasJoined: MediaUri;
  hasLeft: MediaUri;
  /** The participant count (key, `announceUserCountAll`) when one other is there. */
  onlyOne: MediaUri;
  /** The time limit's warning (`L`): "you have" N minutes / seconds. */
  youHave: MediaUri;
  minutes: MediaUri;
  seconds: MediaUri;
}

export const DEFAULT_PROMPTS: Readonly<PromptSet> = Object.freeze({
  getConfno: 'sound:conf-getconfno',
  enteringNo: 'sound:conf-enteringno',
  invalid: 'sound:conf-invalid',
  getPin: 'sound:conf-getpin',
  invalidPin: 'sound:conf-invalidpin',
  locked: 'sound:conf-locked',
  onlyPerson: 'sound:conf-onlyperson',
  thereAre: 'sound:conf-thereare',
  otherInParty: 'sound:conf-otherinparty',
  waitForLeader: 'sound:conf-waitforleader',
  placeIntoConf: 'sound:conf-placeintoconf',
  leaderHasLeft: 'sound:conf-leaderhasleft',
  kicked: 'sound:conf-kicked',
  muted: 'sound:conf-muted',
  unmuted: 'sound:conf-unmuted',
  lockedNow: 'sound:conf-lockednow',
  unlockedNow: 'sound:conf-unlockednow',
  userMenu: 'sound:conf-usermenu',
  adminMenu: 'sound:conf-adminmenu',
  enterTone: 'sound:beep',
  leaveTone: 'sound:beep',
  notStarted: 'sound:conf-locked',
  endWarning: 'sound:beep',
  unavailable: 'sound:conf-locked',
  otherNode: 'sound:tt-allbusy',
  recordName: 'sound:vm-rec-name',
  reviewName: 'sound:vm-review',
  nameSaved: 'sound:vm-msgsaved',
  hasJoined: 'sound:conf-hasjoin',
  hasLeft: 'sound:conf-hasleft',
  onlyOne: 'sound:conf-onlyone',
  youHave: 'sound:vm-youhave',
  minutes: 'sound:queue-minutes',
  seconds: 'sound:queue-seconds',
});

export type PromptName = keyof PromptSet;
export const PROMPT_NAMES = Object.keys(DEFAULT_PROMPTS) as [PromptName, ...PromptName[]];

/** A sound as Asterisk names it (`custom/welcome`, no extension); in `media.soundsDir` for the app mixer. */
export const soundName = z
  .string()
  .max(100)
  .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'a sound name such as custom/welcome (letters, digits, _ - and /, no extension)');

/** Prompt name -> sound name, as ConfBridge's `sound_*` options; unknown prompt names are errors. */
export const promptOverrides = z.partialRecord(z.enum(PROMPT_NAMES), soundName);

/** Overrides as the media URIs they play. */
export function promptsFrom(overrides: Readonly<Partial<Record<PromptName, string>>> | undefined): Partial<PromptSet> {
  return Object.fromEntries(Object.entries(overrides ?? {}).map(([name, sound]) => [name, `sound:${sound}`]));
}
