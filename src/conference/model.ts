/** Plain, serialisable views of conferences and the events they raise; what the API and the event stream carry. */
import type { MixerKind } from './ports';

export type Role = 'user' | 'admin';

export interface ParticipantSnapshot {
  id: string;
  conferenceId: string;
  channelId: string;
  callerIdName: string;
  callerIdNumber: string;
  role: Role;
  marked: boolean;
  /** Voice kept out of the mix (muted by self, an admin, `m` or listen-only). */
  muted: boolean;
  listenOnly: boolean;
  talkOnly: boolean;
  talking: boolean;
  talkGain: number;
  listenGain: number;
  /** The name of this participant's own recording while it runs. */
  recording: string | null;
  /** ISO 8601. */
  joinedAt: string;
  nodeId: string;
}

export interface ConferenceSnapshot {
  id: string;
  number: string;
  name: string;
  locked: boolean;
  recording: string | null;
  /** Whether the conference's recording is paused (false when none runs). */
  recordingPaused: boolean;
  mixer: MixerKind;
  nodeId: string;
  /** ISO 8601. */
  startedAt: string;
  maxMembers: number | null;
  participants: ParticipantSnapshot[];
}

export type ConferenceEvent =
  | { type: 'conference.started'; conference: ConferenceSnapshot }
  | { type: 'conference.ended'; conferenceId: string; number: string; reason: string }
  | { type: 'conference.locked'; conferenceId: string; number: string }
  | { type: 'conference.unlocked'; conferenceId: string; number: string }
  | { type: 'participant.joined'; conferenceId: string; number: string; participant: ParticipantSnapshot }
  | { type: 'participant.left'; conferenceId: string; number: string; participantId: string; reason: string }
  | { type: 'participant.muted'; conferenceId: string; number: string; participantId: string }
  | { type: 'participant.unmuted'; conferenceId: string; number: string; participantId: string }
  | { type: 'participant.talking'; conferenceId: string; number: string; participantId: string; talking: boolean }
  | { type: 'participant.gain'; conferenceId: string; number: string; participantId: string; talkGain: number; listenGain: number }
  /** With `participantId`: that participant's own recording. */
  | { type: 'recording.started'; conferenceId: string; number: string; name: string; participantId?: string }
  | { type: 'recording.stopped'; conferenceId: string; number: string; name: string; participantId?: string }
  | { type: 'recording.paused'; conferenceId: string; number: string; name: string }
  | { type: 'recording.resumed'; conferenceId: string; number: string; name: string };
