/** The double's own state: what Asterisk 22 keeps per channel, bridge, playback and recording. */
import type { ExternalMediaLeg } from './rtp';
import type { SipDialog } from './sipLeg';
import type { SimCaller } from './SimCaller';

export interface DChannel {
  id: string;
  name: string;
  state: 'Down' | 'Ring' | 'Up';
  caller: { name: string; number: string };
  dialplan: { context: string; exten: string; priority: number; app_name: string; app_data: string };
  creationtime: string;
  /** The Stasis app holding it, if any. */
  app: string | undefined;
  /** Apps that get its events without holding it: the originator of a Local pair gets both halves'. */
  watchers: Set<string>;
  /** The other half of a Local channel pair. */
  partner: string | undefined;
  /** Entered Stasis from the dialplan: returns there after StasisEnd, so no ChannelDestroyed (FINDINGS). */
  fromDialplan: boolean;
  bridge: string | undefined;
  mute: { in: boolean; out: boolean };
  moh: boolean;
  silence: boolean;
  vars: Map<string, string>;
  talkDetect: boolean;
  talking: boolean;
  talkStartedAt: number;
  playbacks: Set<string>;
  sim: SimCaller | undefined;
  media: ExternalMediaLeg | undefined;
  /** A PJSIP channel Asterisk dialled to a SIP URI: its dialog, and whether the answer offered telephone-event. */
  sip?: { dialog: SipDialog; telephoneEvent: boolean };
  /** Remotely bridged (direct media): RTP goes between the phone and the far end, Asterisk only signals. */
  direct?: boolean;
  channelvars?: Record<string, string>;
}

export interface DBridge {
  id: string;
  name: string;
  type: 'mixing' | 'holding';
  flags: string[];
  /** What snapshots say; lags one event behind the real technology, as Asterisk's does. */
  technology: string;
  channels: string[];
  creationtime: string;
  /** Apps subscribed: a bridge made with POST /bridges has none until a Stasis channel joins. */
  subscribers: Set<string>;
  playbacks: Set<string>;
  recording: string | undefined;
}

export interface DPlayback {
  id: string;
  target: { kind: 'channel' | 'bridge'; id: string };
  media: string[];
  index: number;
  state: 'queued' | 'playing' | 'done' | 'failed';
  language: string;
  timer: NodeJS.Timeout | undefined;
  /** Unsupported scheme: Started and then nothing, ever (FINDINGS). */
  stuck: boolean;
}

export interface DRecording {
  name: string;
  format: string;
  target: string;
  state: 'queued' | 'recording' | 'paused' | 'done';
  startedAt: number;
  /** A channel recording: the DTMF that ends it, and its timers (max duration, silence). */
  terminateOn?: string;
  timers?: NodeJS.Timeout[];
  silentSince?: number | undefined;
  /** What the caller was saying when a channel recording began (the double's callers speak in tones). */
  toneHz?: number | undefined;
}

export function channelJson(c: DChannel): Record<string, unknown> {
  return {
    id: c.id,
    name: c.name,
    state: c.state,
    protocol_id: '',
    caller: c.caller,
    connected: { name: '', number: '' },
    accountcode: '',
    dialplan: c.dialplan,
    creationtime: c.creationtime,
    language: 'en',
    ...(c.channelvars ? { channelvars: c.channelvars } : {}),
  };
}

export function bridgeJson(b: DBridge): Record<string, unknown> {
  return {
    id: b.id,
    technology: b.technology,
    bridge_type: b.type,
    bridge_class: 'stasis',
    creator: 'Stasis',
    name: b.name,
    channels: [...b.channels],
    creationtime: b.creationtime,
    video_mode: 'talker',
  };
}

export function playbackJson(p: DPlayback): Record<string, unknown> {
  const json: Record<string, unknown> = {
    id: p.id,
    media_uri: p.media[p.index] ?? p.media[0],
    target_uri: `${p.target.kind}:${p.target.id}`,
    language: p.language,
    state: p.state,
  };
  const next = p.media[p.index + 1];
  if (next !== undefined) json.next_media_uri = next;
  return json;
}

export function recordingJson(r: DRecording): Record<string, unknown> {
  return { name: r.name, format: r.format, state: r.state, target_uri: r.target };
}

export function asteriskTime(ms = Date.now()): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}
