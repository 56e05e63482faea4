/**
 * The signalling messages between the join page and the app, JSON over the page's WebSocket
 * (`/join/<token>/signal`). The page offers (PCMU), the app answers with all its candidates.
 */
import type { ConferenceEvent, ParticipantSnapshot } from '../conference/model';
import type { IceServer } from './BrowserPeer';

export type PageMessage =
  | { type: 'offer'; sdp: string }
  | { type: 'candidate'; candidate: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null } }
  /** Answers a `collect` (the PIN). */
  | { type: 'digits'; digits: string }
  | { type: 'mute'; muted: boolean }
  | { type: 'leave' };

/** What the page shows of each participant. */
export interface PageParticipant {
  id: string;
  name: string;
  muted: boolean;
  talking: boolean;
}

export type AppMessage =
  | { type: 'hello'; conference: string; name: string; pin: 'included' | 'ask'; iceServers: IceServer[] }
  | { type: 'answer'; sdp: string }
  /** The app needs digits (the PIN): `prompt` names what a caller would hear. */
  | { type: 'collect'; prompt: string; maxDigits: number }
  /** What a caller would hear before joining (`conf-invalidpin`, `conf-locked`, ...). */
  | { type: 'prompt'; media: string[] }
  | { type: 'joined'; participantId: string; participants: PageParticipant[] }
  | { type: 'participant.joined'; participant: PageParticipant }
  | { type: 'participant.left'; participantId: string }
  | { type: 'participant.muted' | 'participant.unmuted'; participantId: string }
  | { type: 'participant.talking'; participantId: string; talking: boolean }
  | { type: 'bye'; reason: string }
  | { type: 'error'; code: string; message: string };

export function pageParticipant(p: ParticipantSnapshot): PageParticipant {
  return { id: p.id, name: p.callerIdName || p.callerIdNumber || 'caller', muted: p.muted, talking: p.talking };
}

/** A conference event as the page sees it, or nothing for what it does not show. */
export function pageEvent(event: ConferenceEvent): AppMessage | undefined {
  switch (event.type) {
    case 'participant.joined':
      return { type: event.type, participant: pageParticipant(event.participant) };
    case 'participant.left':
    case 'participant.muted':
    case 'participant.unmuted':
      return { type: event.type, participantId: event.participantId };
    case 'participant.talking':
      return { type: event.type, participantId: event.participantId, talking: event.talking };
    default:
      return undefined;
  }
}

const DIGITS = /^[0-9*#]{0,20}$/;

/** The page's message, checked; `undefined` for anything malformed. */
export function parsePageMessage(text: string): PageMessage | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  switch (m.type) {
    case 'offer':
      return typeof m.sdp === 'string' && m.sdp.startsWith('v=0') ? { type: 'offer', sdp: m.sdp } : undefined;
    case 'candidate': {
      const c = m.candidate as Record<string, unknown> | null | undefined;
      if (typeof c !== 'object' || c === null || typeof c.candidate !== 'string') return undefined;
      return {
        type: 'candidate',
        candidate: {
          candidate: c.candidate,
          ...(typeof c.sdpMid === 'string' ? { sdpMid: c.sdpMid } : {}),
          ...(typeof c.sdpMLineIndex === 'number' ? { sdpMLineIndex: c.sdpMLineIndex } : {}),
        },
      };
    }
    case 'digits':
      return typeof m.digits === 'string' && DIGITS.test(m.digits) ? { type: 'digits', digits: m.digits } : undefined;
    case 'mute':
      return typeof m.muted === 'boolean' ? { type: 'mute', muted: m.muted } : undefined;
    case 'leave':
      return { type: 'leave' };
    default:
      return undefined;
  }
}
