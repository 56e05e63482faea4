import type { AriClient } from '../ari';
import { ignoreGone, isNotFound } from '../ari';
import type { ConferenceManager } from '../conference/ConferenceManager';
import type { Role } from '../conference/model';
import type { GainStep } from '../conference/ports';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { BROWSER_CHANNEL_PREFIX } from '../webrtc/BrowserLine';

/**
 * A caller's role, marked flag, mute and gains live on their own channel as this variable. Asterisk keeps the
 * channel (and its variables) across an app restart, so the next run adopts the caller as they were.
 */
export const PARTICIPANT_STATE_VARIABLE = 'MEETME_PARTICIPANT';

export interface ParticipantState {
  role: Role;
  marked: boolean;
  muted: boolean;
  talkGain: GainStep;
  listenGain: GainStep;
}

export function encodeState(state: ParticipantState): string {
  const gains = state.talkGain !== 0 || state.listenGain !== 0 ? `;talk=${state.talkGain};listen=${state.listenGain}` : '';
  return `role=${state.role};marked=${state.marked ? 1 : 0};muted=${state.muted ? 1 : 0}${gains}`;
}

const gainStep = (text: string | undefined): GainStep | undefined => {
  const n = Number(text);
  return text !== undefined && Number.isInteger(n) && n >= -4 && n <= 4 ? (n as GainStep) : undefined;
};

/** Anything unreadable (an older run, a variable set by hand) is the default: a plain user. */
export function decodeState(value: string): Partial<ParticipantState> {
  const fields = new Map(value.split(';').map((part) => part.split('=', 2) as [string, string | undefined]));
  const state: Partial<ParticipantState> = {};
  const role = fields.get('role');
  if (role === 'admin' || role === 'user') state.role = role;
  if (fields.has('marked')) state.marked = fields.get('marked') === '1';
  if (fields.has('muted')) state.muted = fields.get('muted') === '1';
  const talk = gainStep(fields.get('talk'));
  const listen = gainStep(fields.get('listen'));
  if (talk !== undefined) state.talkGain = talk;
  if (listen !== undefined) state.listenGain = listen;
  return state;
}

/** Writes each participant's state to their channel when they join and whenever their mute or gains change. */
export function persistParticipantState(ari: AriClient, manager: ConferenceManager, log: Logger, nodeId: string): () => void {
  const tracked = new Map<string, ParticipantState & { channelId: string }>();
  const write = (participantId: string): void => {
    const entry = tracked.get(participantId);
    if (!entry) return;
    const { channelId, ...state } = entry;
    ignoreGone(ari.rest.channels.setChannelVar({ channelId, variable: PARTICIPANT_STATE_VARIABLE, value: encodeState(state) })).catch(
      (error: unknown) => log.warn({ channel: channelId, err: errorMessage(error) }, 'saving the participant state on the channel failed'),
    );
  };
  return manager.events.subscribe('event', (event) => {
    switch (event.type) {
      case 'participant.joined': {
        const p = event.participant;
        // A browser has no channel to keep it on; another node's caller is that node's to keep.
        if (p.channelId.startsWith(BROWSER_CHANNEL_PREFIX) || p.nodeId !== nodeId) break;
        const gains = { talkGain: p.talkGain as GainStep, listenGain: p.listenGain as GainStep };
        tracked.set(p.id, { channelId: p.channelId, role: p.role, marked: p.marked, muted: p.muted, ...gains });
        write(p.id);
        break;
      }
      case 'participant.muted':
      case 'participant.unmuted': {
        const entry = tracked.get(event.participantId);
        if (!entry) break;
        entry.muted = event.type === 'participant.muted';
        write(event.participantId);
        break;
      }
      case 'participant.gain': {
        const entry = tracked.get(event.participantId);
        if (!entry) break;
        entry.talkGain = event.talkGain as GainStep;
        entry.listenGain = event.listenGain as GainStep;
        write(event.participantId);
        break;
      }
      case 'participant.left':
        tracked.delete(event.participantId);
        break;
      default:
        break;
    }
  });
}

/** The state a previous run saved on this channel, or nothing when it saved none. */
export async function readParticipantState(ari: AriClient, channelId: string): Promise<Partial<ParticipantState>> {
  try {
    const { value } = await ari.rest.channels.getChannelVar({ channelId, variable: PARTICIPANT_STATE_VARIABLE });
    return decodeState(value);
  } catch (error) {
    if (isNotFound(error)) return {};
    throw error;
  }
}
