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
});

export type PromptName = keyof PromptSet;
export const PROMPT_NAMES = Object.keys(DEFAULT_PROMPTS) as [PromptName, ...PromptName[]];
