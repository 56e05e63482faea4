/**
 * The ports of the conference domain: what it needs from the outside world, as interfaces.
 * `src/app` implements them over ARI and the media engine; tests implement them with fakes.
 * Nothing in `src/conference` imports from `src/ari`, `src/media` or `src/api`.
 */
import type { TypedEmitter } from '../lib/TypedEmitter';
import type { ConferenceDefinition, MixerKind } from './definition';
import type { MediaSettings } from './mediaSettings';

export type { ConferenceDefinition, ConferenceSchedule, MixerKind, RecordingPolicy } from './definition';

/** A sound to play, as ARI media URIs (`sound:conf-getpin`, `digits:12`, `number:3`, `tone:ring`). */
export type MediaUri = string;

/** Why a caller's prompt or digit collection ended. */
export type PromptEnd = 'done' | 'interrupted' | 'hangup';

export interface CollectOptions {
  /** Prompts played while waiting; the first digit stops them (Asterisk itself does not). */
  prompts: MediaUri[];
  /** Stop after this many digits. */
  maxDigits: number;
  /** Digits that end entry without being part of it (usually `#`). */
  terminators: string;
  /** Time allowed for the first digit after the prompts end, and between digits. */
  timeoutMs: number;
}

export interface CollectResult {
  digits: string;
  /** `complete`: maxDigits or a terminator; `timeout`: nothing more came; `hangup`: the caller left. */
  reason: 'complete' | 'timeout' | 'hangup';
}

export interface CallerEvents {
  digit: [digit: string];
  /** The caller is gone; `reason` when it was not their own hangup (their Asterisk server was lost). */
  gone: [reason?: string];
}

/** Where in the dialplan a caller who leaves Stasis goes on; unset parts stay as they are (the next priority). */
export interface DialplanTarget {
  context?: string;
  extension?: string;
  priority?: number;
}

export interface RecordRequest {
  /** Unique per recording; the clip then plays as `recording:<name>`. */
  name: string;
  maxSeconds: number;
  /** Ends the recording early. */
  terminateOn: '#';
}

/** The audio of a caller that reaches the app directly (a browser over WebRTC) instead of through an Asterisk channel. */
export interface DirectMedia {
  /** Starts sending the caller's u-law RTP to `target`; resolves with the address the mix must be sent back to. */
  attach(target: { host: string; port: number }): Promise<{ address: string; port: number }>;
  detach(): void;
}

/**
 * One caller before and during a conference, as the domain sees it.
 * Every method resolves (never rejects) when the caller has hung up: the domain checks `gone`.
 */
export interface CallerPort {
  readonly channelId: string;
  readonly callerIdName: string;
  readonly callerIdNumber: string;
  /** True once the caller's channel has left (hangup or StasisEnd). */
  readonly gone: boolean;
  answer(): Promise<void>;
  play(media: MediaUri[]): Promise<PromptEnd>;
  collect(options: CollectOptions): Promise<CollectResult>;
  hangup(): Promise<void>;
  /** Digits as ARI reports them (at the end of each digit), and the moment the caller is gone. */
  readonly events: TypedEmitter<CallerEvents>;
  /** Set for a caller with no Asterisk channel: the app mixer takes its RTP from here. */
  readonly media?: DirectMedia;
  /** The Asterisk server the caller came in on; unset for callers with no channel (browsers). */
  readonly nodeId?: string;
  /**
   * Records what the caller says, before they are in a conference (Asterisk records no bridged channel); resolves
   * once it is stored, `hangup`, or `failed` (nothing to keep). Absent for callers with no channel to record (browsers).
   */
  record?(request: RecordRequest): Promise<'done' | 'hangup' | 'failed'>;
  /**
   * Leaves the app for the dialplan (ARI `continue`), after setting `variables` on the channel for the dialplan to
   * read. Absent for callers with no dialplan (browsers).
   */
  continueInDialplan?(target?: DialplanTarget, variables?: Readonly<Record<string, string>>): Promise<void>;
}

/** Short recordings made for one call (callers' names), kept no longer than the call. */
export interface ClipStore {
  /** Makes a clip recorded on a caller's channel playable as `recording:<name>` by every mixer. */
  keep(name: string, nodeId: string | undefined): Promise<void>;
  /** Deletes it wherever it is (`nodeId`: the Asterisk server the caller came in on); one already gone is no error. */
  discard(name: string, nodeId: string | undefined): Promise<void>;
}

/** Gain steps as MeetMe's menus use them: -4..4, 0 is unity. */
export type GainStep = -4 | -3 | -2 | -1 | 0 | 1 | 2 | 3 | 4;

export interface MediaParticipant {
  participantId: string;
  caller: CallerPort;
}

export interface RecordingTarget {
  /** File name without extension, unique per recording. */
  name: string;
  /** The recording this file is a part of (part 1's name) and its number, when it continues one (a takeover). */
  session?: string;
  part?: number;
}

/** A recording's part that was running when its holder went: the next holder continues it in part + 1. */
export interface RecordingPartRef {
  session: string;
  part: number;
  /** Its backend may still be writing it (an Asterisk bridge recording): taken over, rather than a new part. */
  running?: boolean;
  /** Paused by a user: it stays paused with its next holder (part 2 starts paused). */
  paused?: boolean;
}

export interface ConferenceMediaEvents {
  /** Talker detection: `true` when speech starts, `false` when it stops (or the audio stops). */
  talking: [participantId: string, talking: boolean];
  /** The backend lost a participant's media (its channel or its media leg died). */
  lost: [participantId: string, reason: string];
  /**
   * The backend's writer of a running recording died and came back (a media thread restarted in place): that part
   * ended there (already ended in the index); `participantId` for a participant's own recording, else the conference's.
   */
  recordingLost: [participantId: string | undefined];
  /** The backend cannot mix any more (bridge destroyed, Asterisk gone); it has let go of everything and is asked nothing more. */
  failed: [reason: string];
}

/** The mix of one conference. One interface, two backends: an Asterisk bridge or the app's own mixer. */
export interface ConferenceMedia {
  readonly kind: MixerKind;
  readonly events: TypedEmitter<ConferenceMediaEvents>;
  add(participant: MediaParticipant): Promise<void>;
  remove(participantId: string): Promise<void>;
  /** Whether the participant's voice goes into the mix (mute = false). */
  setTalk(participantId: string, enabled: boolean): Promise<void>;
  /** Whether the participant hears the mix (talk-only = false). */
  setListen(participantId: string, enabled: boolean): Promise<void>;
  setGain(participantId: string, gain: { talk?: GainStep; listen?: GainStep }): Promise<void>;
  /** Plays to everyone; resolves when it finished. */
  playToAll(media: MediaUri[]): Promise<void>;
  /** Plays to one participant (they do not hear the conference meanwhile); resolves when it finished. */
  playTo(participantId: string, media: MediaUri[]): Promise<PromptEnd>;
  startMusic(participantId: string): Promise<void>;
  stopMusic(participantId: string): Promise<void>;
  startRecording(target: RecordingTarget): Promise<void>;
  /**
   * Takes over a recording the backend still makes after a takeover (Asterisk records a bridge on its own while the
   * app is dead); false when it has none by that name (the app mixer's died with its process): a new part starts.
   * The backend's recording is made to agree with `paused` (the user's last word, saved with the part).
   */
  adoptRecording(target: RecordingTarget, paused: boolean): Promise<boolean>;
  stopRecording(): Promise<void>;
  /** Pauses or resumes the running recording (what happens meanwhile is left out). */
  pauseRecording(paused: boolean): Promise<void>;
  /** One participant's own audio to its own file (as well as the mix); it ends by itself when they leave. */
  startParticipantRecording(participantId: string, target: RecordingTarget): Promise<void>;
  stopParticipantRecording(participantId: string): Promise<void>;
  /** Tears the mix down. Idempotent. */
  close(): Promise<void>;
}

export interface ConferenceMediaSpec {
  conferenceId: string;
  number: string;
  /** The Asterisk server the conference lives on. */
  nodeId: string;
  /** The definition's media settings (the app mixer maps them to its engine). */
  media?: MediaSettings;
}

export interface MixerAvailability {
  ok: boolean;
  /** Why not, naming the fix (e.g. "no res_timing_* module is loaded: load res_timing_timerfd"). */
  reason?: string;
}

export interface MixerBackend {
  readonly kind: MixerKind;
  availability(): MixerAvailability;
  open(spec: ConferenceMediaSpec): Promise<ConferenceMedia>;
}

export interface OriginateRequest {
  /** Asterisk dial string, e.g. `PJSIP/alice`. */
  endpoint: string;
  callerId?: string;
  timeoutSeconds?: number;
  /** Stasis arguments the new channel arrives with, as the dialplan contract spells them. */
  appArgs: string[];
}

/** Places outbound calls into the app (dial-out); the answered channel arrives as a new caller. */
export interface Dialer {
  originate(request: OriginateRequest): Promise<{ channelId: string }>;
}

/** Where definitions come from; the app layers the config file over the persistent store. */
export interface ConferenceDirectory {
  lookup(number: string): ConferenceDefinition | undefined;
  /** Every defined conference, in order (MeetMe's `e` picks the first empty one). */
  list(): ConferenceDefinition[];
}
