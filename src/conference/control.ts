/**
 * What moderators can do to live conferences: the surface the REST API and the web console use.
 * Implemented by the ConferenceManager; every method throws AppError with a stable code
 * from the registry in `lib/errors` (`conference_not_found` 404, `participant_not_found` 404, ...).
 */
import type { TypedEmitter } from '../lib/TypedEmitter';
import type { ConferenceEvent, ConferenceSnapshot } from './model';
import type { GainStep, MediaUri } from './ports';

export interface DialOutRequest {
  /** Asterisk dial string, e.g. `PJSIP/alice`. */
  endpoint: string;
  callerId?: string;
  timeoutSeconds?: number;
  /** Join as admin / marked user. */
  admin?: boolean;
}

export interface ConferenceControl {
  readonly events: TypedEmitter<{ event: [ConferenceEvent] }>;
  list(): ConferenceSnapshot[];
  /** By conference number. */
  get(number: string): ConferenceSnapshot;
  setMuted(number: string, participantId: string, muted: boolean): Promise<void>;
  /** Mutes (or unmutes) every participant who is not an admin, in one call. */
  setAllMuted(number: string, muted: boolean): Promise<void>;
  kick(number: string, participantId: string): Promise<void>;
  kickLast(number: string): Promise<void>;
  /** Kicks everyone who is not an admin. */
  kickAll(number: string): Promise<void>;
  setLocked(number: string, locked: boolean): Promise<void>;
  startRecording(number: string): Promise<string>;
  stopRecording(number: string): Promise<void>;
  pauseRecording(number: string, paused: boolean): Promise<void>;
  /** One participant's own audio to its own file (the app mixer); resolves with the recording's name. */
  startParticipantRecording(number: string, participantId: string): Promise<string>;
  stopParticipantRecording(number: string, participantId: string): Promise<void>;
  play(number: string, media: MediaUri[], participantId?: string): Promise<void>;
  setGain(number: string, participantId: string, gain: { talk?: GainStep; listen?: GainStep }): Promise<void>;
  end(number: string, reason?: string): Promise<void>;
  /** Moves a booked conference's end later. */
  extend(number: string, minutes: number): Promise<void>;
  dialOut(number: string, request: DialOutRequest): Promise<{ channelId: string }>;
}
