import type { ClosingEvents } from '../lib/children';
import type { Clock } from '../lib/clock';
import type { CallerFlowSettings } from './definition';
import type { MenuConfig } from './menus';
import type { ConferenceEvent, Role } from './model';
import type { ConferenceOptions } from './options';
import type { Participant } from './Participant';
import type { Admission } from './policies';
import type { CallerPort, ClipStore, GainStep, MediaUri, RecordingPartRef, RecordingPolicy } from './ports';
import type { PromptSet } from './prompts';

/** What a conference is, who may join it and what they get: the types of its membership. */
export interface ConferenceSpec {
  id: string;
  number: string;
  name: string;
  nodeId: string;
  maxMembers: number | null;
  recording: RecordingPolicy;
  /** Record from the start (option `r`). */
  recordFromStart: boolean;
  /** Record each participant's own audio from their join (media.recordParticipants). */
  recordParticipants?: boolean;
}

/** How one conference runs: the manager's settings with the definition's own over them. */
export interface ConferenceSettings {
  prompts: PromptSet;
  menus: MenuConfig;
  clock: Clock;
  flow: CallerFlowSettings;
  /** Where callers' recorded names are kept for the call (none: names are not recorded). */
  clips?: ClipStore | undefined;
}

/** `event` is public; `@close` (the conference is over) is for its owner. */
export interface ConferenceEvents extends ClosingEvents {
  event: [event: ConferenceEvent];
}

export interface JoinRequest {
  caller: CallerPort;
  role: Role;
  options: ConferenceOptions;
  /** A caller of this conference before an app restart: let in whatever the lock and the size say. */
  rejoining?: boolean;
  /** The caller's recorded name (`recording:<name>`), said to the others and deleted once they have left. */
  nameClip?: MediaUri;
  /** What a rejoining caller had before the takeover (read back from Asterisk): gains, and recordings to continue. */
  resume?: RejoinState;
}

export interface RejoinState {
  talkGain?: GainStep;
  listenGain?: GainStep;
  /** The conference's recording was running in this part: it goes on in the next one (unless already recording). */
  recording?: RecordingPartRef;
  /** The caller's own recording was running in this part. */
  ownRecording?: RecordingPartRef;
}

export type JoinResult =
  | {
      kind: 'joined';
      participant: Participant;
      /** Resolves once the participant has left and been let go (goodbye prompt played, hung up). */
      left: Promise<void>;
    }
  | { kind: 'refused'; reason: Exclude<Admission, 'ok'> };
