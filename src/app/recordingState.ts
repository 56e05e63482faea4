import type { AriClient } from '../ari';
import { ignoreGone, isNotFound } from '../ari';
import type { ConferenceManager } from '../conference/ConferenceManager';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { BROWSER_CHANNEL_PREFIX } from '../webrtc/BrowserLine';

/**
 * Which recordings run in a caller's conference, kept on the caller's own channel as this variable (JSON): the
 * conference's recording part and the caller's own. Asterisk keeps the channel and its variables while the app
 * is dead, for exactly as long as the caller is there, so whichever instance adopts the caller next (a standby
 * after a kill, the same one after a restart, with or without Redis) knows what to continue.
 */
export const RECORDING_STATE_VARIABLE = 'MEETME_RECORDING';

/** One part of a recording as the next holder needs it: to end it in the index, repair its file and continue it. */
export interface SavedPart {
  name: string;
  conference: string;
  session: string;
  part: number;
  startedAt: string;
  location: 'local' | 'asterisk';
  path: string;
  node: string | null;
  /** The participant (their id then) whose own recording it is; null for the conference's. */
  participant: string | null;
  /** Paused by a user when saved: the next holder keeps it paused. */
  paused?: boolean;
}

export interface SavedRecordings {
  conference?: SavedPart;
  own?: SavedPart;
}

/** The app's side of recording parts: what the index knows of a part, and ending one whose writer died. */
export interface RecordingParts {
  lookup(name: string): SavedPart | undefined;
  /** A part whose writer died: its file repaired (a killed writer's WAV header lags its data) and ended in the index. */
  interrupted(part: SavedPart): Promise<void>;
  /** A part its writer still writes (Asterisk's bridge recording): in the index as running, as it was started. */
  adopted(part: SavedPart): Promise<void>;
}

const isPart = (value: unknown): value is SavedPart => {
  const p = value as Partial<SavedPart> | null;
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof p.name === 'string' &&
    typeof p.session === 'string' &&
    typeof p.part === 'number' &&
    typeof p.conference === 'string' &&
    typeof p.path === 'string'
  );
};

/** Anything unreadable (empty: nothing running; an older run; set by hand) is no recording. */
export function decodeRecordings(value: string): SavedRecordings {
  try {
    const parsed = JSON.parse(value) as { conference?: unknown; own?: unknown };
    return { ...(isPart(parsed.conference) ? { conference: parsed.conference } : {}), ...(isPart(parsed.own) ? { own: parsed.own } : {}) };
  } catch {
    return {};
  }
}

/** Keeps each local caller's channel told of the recordings running in their conference. */
export function persistRecordingState(
  ari: AriClient,
  manager: ConferenceManager,
  parts: RecordingParts,
  log: Logger,
  nodeId: string,
): () => void {
  /** The conference recording part running, by conference number. */
  const running = new Map<string, SavedPart>();
  const callers = new Map<string, { channelId: string; number: string; own?: SavedPart }>();
  const write = (participantId: string): void => {
    const entry = callers.get(participantId);
    if (!entry) return;
    const conference = running.get(entry.number);
    const state: SavedRecordings = { ...(conference ? { conference } : {}), ...(entry.own ? { own: entry.own } : {}) };
    const value = state.conference || state.own ? JSON.stringify(state) : '';
    const { channelId } = entry;
    ignoreGone(ari.rest.channels.setChannelVar({ channelId, variable: RECORDING_STATE_VARIABLE, value })).catch((error: unknown) =>
      log.warn({ channel: channelId, err: errorMessage(error) }, 'saving the recording state on the channel failed'),
    );
  };
  const inConference = (number: string): string[] => [...callers].filter(([, c]) => c.number === number).map(([id]) => id);
  return manager.events.subscribe('event', (event) => {
    switch (event.type) {
      case 'participant.joined': {
        const p = event.participant;
        if (p.channelId.startsWith(BROWSER_CHANNEL_PREFIX) || p.nodeId !== nodeId) break;
        callers.set(p.id, { channelId: p.channelId, number: event.number });
        // Nothing to say to a caller of a conference without a recording: no request for them.
        if (running.has(event.number)) write(p.id);
        break;
      }
      case 'participant.left':
        callers.delete(event.participantId);
        break;
      case 'recording.started': {
        const part = parts.lookup(event.name);
        if (!part) break;
        if (event.participantId === undefined) {
          running.set(event.number, part);
          for (const id of inConference(event.number)) write(id);
        } else {
          const entry = callers.get(event.participantId);
          if (entry) entry.own = part;
          write(event.participantId);
        }
        break;
      }
      case 'recording.stopped': {
        if (event.participantId === undefined) {
          if (running.get(event.number)?.name !== event.name) break;
          running.delete(event.number);
          for (const id of inConference(event.number)) write(id);
        } else {
          const entry = callers.get(event.participantId);
          if (entry?.own?.name !== event.name) break;
          delete entry.own;
          write(event.participantId);
        }
        break;
      }
      case 'recording.paused':
      case 'recording.resumed': {
        const part = running.get(event.number);
        if (part?.name !== event.name) break;
        running.set(event.number, { ...part, paused: event.type === 'recording.paused' });
        for (const id of inConference(event.number)) write(id);
        break;
      }
      case 'conference.ended':
        running.delete(event.number);
        break;
      default:
        break;
    }
  });
}

/** The recordings a previous holder saved on this channel, or none. */
export async function readRecordingState(ari: AriClient, channelId: string): Promise<SavedRecordings> {
  try {
    const { value } = await ari.rest.channels.getChannelVar({ channelId, variable: RECORDING_STATE_VARIABLE });
    return decodeRecordings(value);
  } catch (error) {
    if (isNotFound(error)) return {};
    throw error;
  }
}
