import type { ParticipantSnapshot, Role } from './model';
import type { ConferenceOptions } from './options';
import type { CallerPort, GainStep, MediaUri, RecordingPartRef } from './ports';

/** One member of a conference. State only: the Conference decides and tells the media. */
export class Participant {
  muted: boolean;
  talking = false;
  talkGain: GainStep = 0;
  listenGain: GainStep = 0;
  /** Waiting for a marked user (`w`): hears music, is not heard. */
  waiting = false;
  hearingMusic = false;
  /** The name they recorded on entry (`i`, `I`), as it plays: said to the others on join and leave. */
  nameClip: MediaUri | undefined;
  /** Their own recording's name while it runs. */
  recording: string | null = null;
  /** Which recording that file is a part of, and its number. */
  recordingPart: RecordingPartRef | null = null;
  /** Set once the participant has left; every later action is a no-op. */
  left = false;
  readonly joinedAt: number;

  constructor(
    readonly id: string,
    readonly conferenceId: string,
    readonly caller: CallerPort,
    readonly role: Role,
    readonly options: ConferenceOptions,
    readonly nodeId: string,
    joinedAt: number,
  ) {
    this.muted = options.muted || options.listenOnly;
    this.joinedAt = joinedAt;
  }

  get admin(): boolean {
    return this.role === 'admin';
  }

  get marked(): boolean {
    return this.options.marked;
  }

  /** Whether the mix takes this participant's voice. */
  get talks(): boolean {
    return !this.muted && !this.options.listenOnly && !this.waiting;
  }

  /** Whether this participant hears the mix (music replaces it while waiting or alone). */
  get listens(): boolean {
    return !this.options.talkOnly;
  }

  snapshot(): ParticipantSnapshot {
    return {
      id: this.id,
      conferenceId: this.conferenceId,
      channelId: this.caller.channelId,
      callerIdName: this.caller.callerIdName,
      callerIdNumber: this.caller.callerIdNumber,
      role: this.role,
      marked: this.marked,
      muted: !this.talks,
      listenOnly: this.options.listenOnly,
      talkOnly: this.options.talkOnly,
      talking: this.talking,
      talkGain: this.talkGain,
      listenGain: this.listenGain,
      recording: this.recording,
      joinedAt: new Date(this.joinedAt).toISOString(),
      nodeId: this.nodeId,
    };
  }
}
