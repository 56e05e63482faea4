import { randomUUID } from 'node:crypto';
import { AriFault, bridgeNotFound, channelNotFound, notInStasis } from './errors';
import {
  asteriskTime,
  bridgeJson,
  channelJson,
  playbackJson,
  recordingJson,
  type DBridge,
  type DChannel,
  type DPlayback,
  type DRecording,
} from './model';
import { mediaDuration } from './sounds';

export interface AsteriskOptions {
  timing: boolean;
  /** Playback durations are divided by this, so tests run fast but in the recorded order. */
  speed: number;
  /** TALK_DETECT's silence before ChannelTalkingFinished (2.5 s on a real Asterisk). */
  talkFinishMs: number;
  /** What GET /asterisk/info says (`system.version`). */
  version: string;
}

export type Deliver = (app: string, event: Record<string, unknown>) => void;

const BASE_MODULES = [
  'res_ari.so',
  'res_ari_applications.so',
  'res_ari_asterisk.so',
  'res_ari_bridges.so',
  'res_ari_channels.so',
  'res_ari_events.so',
  'res_ari_playbacks.so',
  'res_ari_recordings.so',
  'res_ari_sounds.so',
  'res_stasis.so',
  'res_stasis_playback.so',
  'res_stasis_recording.so',
  'res_stasis_snoop.so',
  'chan_rtp.so',
  'chan_pjsip.so',
  'bridge_softmix.so',
  'bridge_simple.so',
  'bridge_native_rtp.so',
  'res_musiconhold.so',
  'func_talkdetect.so',
  'func_volume.so',
];
const TIMING_MODULES = ['res_timing_timerfd.so', 'res_timing_pthread.so'];

/** The behaviour of an Asterisk 22 as ARI sees it, as recorded in the transcripts. */
export class Asterisk {
  readonly channels = new Map<string, DChannel>();
  readonly bridges = new Map<string, DBridge>();
  readonly playbacks = new Map<string, DPlayback>();
  readonly live = new Map<string, DRecording>();
  readonly stored = new Map<string, { name: string; format: string; seconds: number; toneHz?: number | undefined }>();
  /** Bridges whose softmix failed: GET says 404, yet record answers 201 and DELETE 204 (no-timing-module.jsonl). */
  readonly failed = new Map<string, DBridge>();
  readonly modules = new Set<string>(BASE_MODULES);
  /** Sounds GET /sounds leaves out, as an Asterisk without some of the core sounds installed. */
  readonly missingSounds = new Set<string>();
  private seq = 0;
  private readonly epoch = Math.floor(Date.now() / 1000);
  deliver: Deliver = () => undefined;
  /** Apps registered by an events socket (any name registers on connect). */
  readonly registered = new Set<string>();
  /** PJSIP endpoints in pjsip.conf that Asterisk can dial a SIP URI with (asterisk-conf ships meetme-media). */
  readonly sipEndpoints = new Set<string>(['meetme-media']);
  /**
   * PJSIP endpoints with `direct_media=yes` (none by default, as asterisk-conf ships). Two of them in a native_rtp
   * bridge are remotely bridged: Asterisk re-INVITEs the SIP leg to the phone's RTP address and sees no more RTP.
   */
  readonly directMedia = new Set<string>();
  /** Whether an originated PJSIP endpoint is reachable; none are registered by default, as in errors.jsonl. */
  answers: (endpoint: string) => boolean = () => false;
  /** Told of each redirected channel and where it went (the SIP front's part: AsteriskDouble.onRedirect). */
  redirected: (channel: DChannel, target: string) => void = () => undefined;

  constructor(readonly options: AsteriskOptions) {
    if (options.timing) for (const m of TIMING_MODULES) this.modules.add(m);
  }

  apps(): string[] {
    return [...this.registered].sort();
  }

  get hasTiming(): boolean {
    return [...this.modules].some((m) => m.startsWith('res_timing_'));
  }

  ms(real: number): number {
    return real / this.options.speed;
  }

  newChannelId(): string {
    return `${this.epoch}.${this.seq++}`;
  }

  // ---- events ---------------------------------------------------------------------------------

  private event(type: string, fields: Record<string, unknown>): Record<string, unknown> {
    return { type, timestamp: asteriskTime(), ...fields, asterisk_id: '02:fc:00:00:00:01' };
  }

  /** To the channel's app. */
  emitChannel(c: DChannel, type: string, fields: Record<string, unknown> = {}): void {
    const apps = new Set(c.watchers);
    if (c.app) apps.add(c.app);
    for (const app of apps) this.deliver(app, { ...this.event(type, { channel: channelJson(c), ...fields }), application: app });
  }

  /** To every app subscribed to the bridge, and the channel's app. */
  private emitBridge(b: DBridge, c: DChannel | undefined, type: string, extra: Record<string, unknown> = {}): void {
    const apps = new Set(b.subscribers);
    if (c?.app) apps.add(c.app);
    for (const app of apps) {
      this.deliver(app, {
        ...this.event(type, { bridge: bridgeJson(b), ...(c ? { channel: channelJson(c) } : {}), ...extra }),
        application: app,
      });
    }
  }

  // ---- channels -------------------------------------------------------------------------------

  channel(id: string): DChannel {
    const c = this.channels.get(id);
    if (!c) throw channelNotFound();
    return c;
  }

  stasisChannel(id: string): DChannel {
    const c = this.channel(id);
    if (!c.app) throw notInStasis();
    return c;
  }

  createChannel(fields: Partial<DChannel> & Pick<DChannel, 'id' | 'name'>): DChannel {
    if (this.channels.has(fields.id)) throw new AriFault(409, 'Channel with given unique ID already exists');
    const c: DChannel = {
      state: 'Down',
      caller: { name: '', number: '' },
      dialplan: { context: 'default', exten: 's', priority: 1, app_name: '', app_data: '' },
      creationtime: asteriskTime(),
      app: undefined,
      watchers: new Set(),
      partner: undefined,
      fromDialplan: false,
      bridge: undefined,
      mute: { in: false, out: false },
      moh: false,
      silence: false,
      vars: new Map(),
      talkDetect: false,
      talking: false,
      talkStartedAt: 0,
      playbacks: new Set(),
      sim: undefined,
      media: undefined,
      ...fields,
    };
    this.channels.set(c.id, c);
    return c;
  }

  enterStasis(c: DChannel, app: string, args: string[]): void {
    c.app = app;
    c.dialplan = { ...c.dialplan, app_name: 'Stasis', app_data: [app, ...args].join(',') };
    this.emitChannel(c, 'StasisStart', { args });
  }

  setState(c: DChannel, state: DChannel['state']): void {
    if (c.state === state) return;
    c.state = state;
    this.emitChannel(c, 'ChannelStateChange');
  }

  /** DELETE /channels/{id} (cause 32, soft) or the caller's own hangup (cause 16). */
  hangup(c: DChannel, byApp: boolean): void {
    if (!this.channels.has(c.id)) return;
    this.emitChannel(c, 'ChannelHangupRequest', byApp ? { cause: 32, soft: true } : { cause: 16 });
    const partner = c.partner ? this.channels.get(c.partner) : undefined;
    this.stopPlaybacksOf(c);
    // A recording on the channel ends as its frames do (ast_read NULL) and is stored, before the channel leaves Stasis.
    this.stopChannelRecordings(c);
    if (c.bridge) this.leaveBridge(c, this.bridges.get(c.bridge));
    const app = c.app;
    if (app) this.emitChannel(c, 'StasisEnd');
    c.app = undefined;
    this.channels.delete(c.id);
    c.media?.close();
    c.sip?.dialog.bye();
    if (c.sim) c.sim.markGone();
    // A channel that returns to the dialplan after Stasis gets no ChannelDestroyed (FINDINGS "Channels").
    if (!(byApp && c.fromDialplan) && (app || c.watchers.size > 0)) {
      if (app) c.watchers.add(app);
      this.emitChannel(c, 'ChannelDestroyed', { cause: 16, cause_txt: 'Normal Clearing' });
    }
    if (partner) this.dropPartner(partner);
  }

  /** The other half of a Local pair goes down with it: two hangup requests, then destroyed (the transcripts). */
  private dropPartner(c: DChannel): void {
    if (!this.channels.has(c.id)) return;
    this.emitChannel(c, 'ChannelHangupRequest', { cause: 16, soft: true });
    this.emitChannel(c, 'ChannelHangupRequest', { cause: 16 });
    this.channels.delete(c.id);
    this.emitChannel(c, 'ChannelDestroyed', { cause: 16, cause_txt: 'Normal Clearing' });
  }

  /** A Local pair whose dialplan half finds no extension: both halves are destroyed at once. */
  failLocal(c: DChannel): void {
    const partner = c.partner ? this.channels.get(c.partner) : undefined;
    for (const half of [c, partner]) {
      if (!half || !this.channels.has(half.id)) continue;
      this.channels.delete(half.id);
      this.emitChannel(half, 'ChannelDestroyed', { cause: 1, cause_txt: 'Unallocated (unassigned) number' });
    }
  }

  dtmf(c: DChannel, digit: string, durationMs: number): void {
    const bridge = c.bridge ? this.bridges.get(c.bridge) : undefined;
    // In native_rtp the RTP engine relays RFC 4733 to a peer that negotiated telephone-event, and ARI sees no
    // DTMF; to a peer that did not, it feeds the packets to the core and ChannelDtmfReceived still comes
    // (res_rtp_asterisk bridge_p2p_rtp_write; measured with baresip and a SIP leg answered without telephone-event).
    const peer = this.peerOf(c);
    // Remotely bridged: the phone's RFC 4733 packets go straight to the far end, and Asterisk sees none.
    if (c.direct && peer?.media) {
      void peer.media.telephoneEvent(digit, durationMs);
      return;
    }
    if (bridge?.technology === 'native_rtp' && (!peer?.sip || peer.sip.telephoneEvent)) return;
    peer?.media?.digit(durationMs);
    this.emitChannel(c, 'ChannelDtmfReceived', { digit, duration_ms: durationMs });
    for (const r of this.live.values())
      if (r.target === `channel:${c.id}` && r.terminateOn && (r.terminateOn === 'any' || r.terminateOn === digit))
        this.stopRecording(r.name);
  }

  /**
   * POST /channels/{id}/continue: out of Stasis to the dialplan (no ChannelDestroyed: the channel lives on there).
   * No arguments: the next priority; an extension alone starts at priority 1 of it; a context without an extension
   * goes to its `s` (res/ari/resource_channels.c, ast_ari_channels_continue_in_dialplan).
   */
  continueInDialplan(c: DChannel, target: { context?: string; extension?: string; priority?: number }): void {
    const app = c.app;
    if (c.bridge) this.leaveBridge(c, this.bridges.get(c.bridge));
    this.stopPlaybacksOf(c);
    const here = c.dialplan;
    const moved = target.context !== undefined || target.extension !== undefined;
    c.dialplan = {
      context: target.context ?? here.context,
      exten: target.extension ?? (target.context !== undefined ? 's' : here.exten),
      priority: target.priority ?? (moved ? 1 : here.priority + 1),
      app_name: '',
      app_data: '',
    };
    if (app) this.emitChannel(c, 'StasisEnd');
    c.app = undefined;
  }

  /** What the caller is saying changed (tone on/off): TALK_DETECT events as Asterisk times them. */
  talk(c: DChannel, speaking: boolean): void {
    if (!c.talkDetect) return;
    if (speaking && !c.talking) {
      setTimeout(() => {
        if (!this.channels.has(c.id) || c.talking || !c.sim?.speaking) return;
        c.talking = true;
        c.talkStartedAt = Date.now();
        this.emitChannel(c, 'ChannelTalkingStarted');
      }, this.ms(25));
    } else if (!speaking && c.talking) {
      setTimeout(() => {
        // Finished only while silent frames keep flowing: not after a hangup.
        if (!this.channels.has(c.id) || !c.talking || c.sim?.speaking) return;
        c.talking = false;
        this.emitChannel(c, 'ChannelTalkingFinished', { duration: Date.now() - c.talkStartedAt });
      }, this.options.talkFinishMs);
    }
  }

  setVar(c: DChannel, variable: string, value: string): void {
    if (variable === 'TALK_DETECT(set)') {
      c.talkDetect = true;
      if (c.sim?.speaking) this.talk(c, true);
      return;
    }
    if (variable === 'TALK_DETECT(remove)') {
      c.talkDetect = false;
      return;
    }
    c.vars.set(variable, value);
  }

  getVar(c: DChannel, variable: string): string {
    // As a real Asterisk answers for a PJSIP phone that negotiated G.722, or u-law (lab, 22.10.1).
    if (variable === 'CHANNEL(audionativeformat)') return c.sim?.wideband ? '(g722)' : '(ulaw)';
    const value = c.vars.get(variable);
    if (value !== undefined) return /^VOLUME\(/.test(variable) ? Number(value).toFixed(6) : value;
    if (/\(/.test(variable)) throw new AriFault(500, 'Unable to read provided function');
    throw new AriFault(404, 'Provided variable was not found');
  }

  // ---- bridges --------------------------------------------------------------------------------

  bridge(id: string): DBridge {
    const b = this.bridges.get(id);
    if (!b) throw bridgeNotFound();
    return b;
  }

  createBridge(id: string | undefined, typeText: string, name: string): DBridge {
    const parts = (typeText || 'mixing').split(',').map((s) => s.trim());
    const type = parts.includes('holding')
      ? 'holding'
      : parts.includes('mixing') || parts.includes('dtmf_events') || parts.includes('proxy_media')
        ? 'mixing'
        : undefined;
    if (!type) throw new AriFault(500, "Unable to create bridge. Possible duplicate bridge id '(null)'");
    const bridgeId = id ?? randomUUID();
    if (this.bridges.has(bridgeId)) throw new AriFault(409, `Bridge with id '${bridgeId}' already exists`);
    const b: DBridge = {
      id: bridgeId,
      name,
      type,
      flags: parts,
      technology: type === 'holding' ? 'holding_bridge' : 'simple_bridge',
      channels: [],
      creationtime: asteriskTime(),
      subscribers: new Set(),
      playbacks: new Set(),
      recording: undefined,
    };
    this.bridges.set(b.id, b);
    return b;
  }

  private technologyFor(b: DBridge): string {
    if (b.type === 'holding') return 'holding_bridge';
    if (b.channels.length >= 3) return 'softmix';
    const members = b.channels.map((id) => this.channels.get(id));
    // bridge_native_rtp: both PJSIP (a chan_rtp or Local channel fails its glue or DTMF check against PJSIP),
    // no audiohook such as TALK_DETECT or VOLUME on either, and no dtmf_events or proxy_media on the bridge.
    const native = members.every(
      (c) => c !== undefined && c.name.startsWith('PJSIP/') && !c.talkDetect && ![...c.vars.keys()].some((v) => v.startsWith('VOLUME(')),
    );
    if (b.channels.length === 2 && native && !b.flags.includes('dtmf_events') && !b.flags.includes('proxy_media')) return 'native_rtp';
    return 'simple_bridge';
  }

  addToBridge(b: DBridge, ids: string[]): void {
    const joining = ids.map((id) => {
      const c = this.channels.get(id);
      if (!c) throw new AriFault(400, 'Channel not found');
      if (!c.app) throw new AriFault(422, 'Channel not in Stasis application');
      return c;
    });
    for (const c of joining) {
      // Adding a member again makes it leave and re-enter (errors.jsonl).
      if (c.bridge) this.leaveBridge(c, this.bridges.get(c.bridge));
      b.channels.push(c.id);
      c.bridge = b.id;
      if (c.app) b.subscribers.add(c.app);
      // Snapshots carry the technology from before this change (FINDINGS: it lags by one event).
      this.emitBridge(b, c, 'ChannelEnteredBridge');
      b.technology = this.technologyFor(b);
      this.mediaChanged(b);
      if (b.type === 'mixing' && b.channels.length >= 3 && !this.hasTiming) {
        this.failSoftmix(b);
        return;
      }
    }
  }

  /** No timer: "Failed to open timer for softmix bridge"; every channel drops out and the bridge is gone (no-timing-module.jsonl). */
  private failSoftmix(b: DBridge): void {
    const order = [b.channels[b.channels.length - 1], ...b.channels.slice(0, -1)].filter((x): x is string => x !== undefined);
    for (const id of order) {
      const c = this.channels.get(id);
      b.channels = b.channels.filter((x) => x !== id);
      if (c) {
        c.bridge = undefined;
        this.emitBridge(b, c, 'ChannelLeftBridge');
      }
    }
    this.bridges.delete(b.id);
    this.failed.set(b.id, b);
  }

  leaveBridge(c: DChannel, b: DBridge | undefined): void {
    if (!b) return;
    b.channels = b.channels.filter((id) => id !== c.id);
    c.bridge = undefined;
    this.emitBridge(b, c, 'ChannelLeftBridge');
    b.technology = this.technologyFor(b);
    // With no Stasis channel left the app is unsubscribed: a later DELETE sends no BridgeDestroyed.
    if (!b.channels.some((id) => this.channels.get(id)?.app)) b.subscribers.clear();
    this.mediaChanged(b);
  }

  removeFromBridge(b: DBridge, ids: string[]): void {
    for (const id of ids) {
      const c = this.channels.get(id);
      if (!c) throw new AriFault(400, 'Channel not found');
      if (c.bridge !== b.id) throw new AriFault(422, 'Channel not in this bridge');
      this.leaveBridge(c, b);
    }
  }

  destroyBridge(b: DBridge): void {
    for (const id of [...b.channels]) {
      const c = this.channels.get(id);
      if (c) this.leaveBridge(c, b);
    }
    for (const id of b.playbacks) this.finishPlayback(this.playbacks.get(id), 'done', false);
    if (b.recording) this.stopRecording(b.recording);
    this.bridges.delete(b.id);
    for (const app of b.subscribers) this.deliver(app, { ...this.event('BridgeDestroyed', { bridge: bridgeJson(b) }), application: app });
  }

  /** Tells the RTP legs and callers in a bridge who hears whom now. */
  mediaChanged(b: DBridge): void {
    for (const id of b.channels) this.channels.get(id)?.media?.peerChanged();
    const [one, two] = b.channels.map((id) => this.channels.get(id));
    const direct =
      this.technologyFor(b) === 'native_rtp' && one && two && [one, two].every((c) => this.directMedia.has(pjsipEndpoint(c.name)));
    for (const c of [one, two]) if (c && !direct && c.direct) c.direct = false;
    if (!direct || one.direct) return;
    // "Remotely bridged ... media will flow directly between them": the SIP leg is re-INVITEd to the phone's address.
    const leg = one.sip ? one : two.sip ? two : undefined;
    one.direct = two.direct = true;
    void leg?.media?.moveToPhone(leg);
  }

  peerOf(c: DChannel): DChannel | undefined {
    const b = c.bridge ? this.bridges.get(c.bridge) : undefined;
    if (!b || b.channels.length !== 2) return undefined;
    const other = b.channels.find((id) => id !== c.id);
    return other ? this.channels.get(other) : undefined;
  }

  // ---- playbacks ------------------------------------------------------------------------------

  play(target: { kind: 'channel' | 'bridge'; id: string }, media: string[], id: string | undefined, language: string): DPlayback {
    if (media.length === 0 || media.every((m) => m === '')) throw new AriFault(500, 'Failed to queue media for playback');
    const playbackId = id ?? randomUUID();
    if (this.playbacks.has(playbackId)) throw new AriFault(409, 'Playback with given id already exists');
    const p: DPlayback = { id: playbackId, target, media, index: 0, state: 'queued', language, timer: undefined, stuck: false };
    this.playbacks.set(p.id, p);
    const owner = target.kind === 'channel' ? this.channels.get(target.id) : this.bridges.get(target.id);
    if (target.kind === 'channel') (owner as DChannel).playbacks.add(p.id);
    else (owner as DBridge).playbacks.add(p.id);
    setImmediate(() => this.startItem(p));
    return p;
  }

  private emitPlayback(p: DPlayback, type: string): void {
    const event = { playback: playbackJson(p) };
    if (p.target.kind === 'channel') {
      const c = this.channels.get(p.target.id);
      if (c?.app) this.deliver(c.app, { ...this.event(type, event), application: c.app });
      return;
    }
    const b = this.bridges.get(p.target.id);
    for (const app of b?.subscribers ?? []) this.deliver(app, { ...this.event(type, event), application: app });
  }

  private startItem(p: DPlayback): void {
    if (!this.playbacks.has(p.id)) return;
    const uri = p.media[p.index] ?? '';
    // `recording:` plays a stored recording for as long as it is; one that is not stored is a missing file.
    const stored = uri.startsWith('recording:') ? this.stored.get(uri.slice('recording:'.length)) : undefined;
    const info = uri.startsWith('recording:')
      ? { ms: (stored?.seconds ?? 0) * 1000, ok: stored !== undefined, supported: true }
      : mediaDuration(uri);
    const bridge = p.target.kind === 'bridge' ? this.bridges.get(p.target.id) : undefined;
    // A missing file on an empty bridge gives no events at all (FINDINGS "Channels and events").
    if (bridge && bridge.channels.length === 0 && !info.ok) {
      this.forgetPlayback(p);
      return;
    }
    if (!info.supported && p.media.length > 1) return this.nextItem(p, false);
    p.state = 'playing';
    this.emitPlayback(p, 'PlaybackStarted');
    this.heardBy(p).forEach((c) => c.sim?.heardPrompt(uri));
    if (!info.supported) {
      p.stuck = true;
      return;
    }
    if (!info.ok) {
      if (p.media.length > 1) return this.nextItem(p, true);
      return this.finishPlayback(p, 'failed', true);
    }
    if (info.ms !== Infinity) p.timer = setTimeout(() => this.nextItem(p, true), this.ms(info.ms));
  }

  private heardBy(p: DPlayback): DChannel[] {
    if (p.target.kind === 'channel') return [this.channels.get(p.target.id)].filter((c): c is DChannel => c !== undefined);
    const b = this.bridges.get(p.target.id);
    return (b?.channels ?? []).map((id) => this.channels.get(id)).filter((c): c is DChannel => c !== undefined);
  }

  private nextItem(p: DPlayback, announce: boolean): void {
    p.timer = undefined;
    if (p.index + 1 >= p.media.length) return this.finishPlayback(p, 'done', true);
    if (announce) this.emitPlayback(p, 'PlaybackContinuing');
    p.index++;
    this.startItem(p);
  }

  finishPlayback(p: DPlayback | undefined, state: 'done' | 'failed', announce: boolean): void {
    if (!p || !this.playbacks.has(p.id)) return;
    if (p.timer) clearTimeout(p.timer);
    p.state = state;
    if (announce) this.emitPlayback(p, 'PlaybackFinished');
    this.forgetPlayback(p);
  }

  private forgetPlayback(p: DPlayback): void {
    this.playbacks.delete(p.id);
    this.channels.get(p.target.id)?.playbacks.delete(p.id);
    this.bridges.get(p.target.id)?.playbacks.delete(p.id);
  }

  /** DELETE /playbacks/{id}: a `sound:` item ends the whole list, a `tone:` item only itself. */
  stopPlayback(id: string): void {
    const p = this.playbacks.get(id);
    if (!p || p.stuck) throw new AriFault(404, 'Playback not found');
    if ((p.media[p.index] ?? '').startsWith('tone:') && p.index + 1 < p.media.length) {
      if (p.timer) clearTimeout(p.timer);
      this.nextItem(p, true);
      return;
    }
    this.finishPlayback(p, 'done', true);
  }

  private stopPlaybacksOf(c: DChannel): void {
    for (const id of [...c.playbacks]) this.finishPlayback(this.playbacks.get(id), 'done', false);
  }

  // ---- recordings -----------------------------------------------------------------------------

  recordBridge(b: DBridge, name: string, format: string, ifExists: string): DRecording {
    if (!['wav', 'gsm', 'ulaw', 'alaw', 'sln', 'g722', 'wav16'].includes(format))
      throw new AriFault(422, 'specified format is unknown on this system');
    if ((this.live.has(name) || this.stored.has(name)) && ifExists === 'fail')
      throw new AriFault(422, 'Recording already in progress or exists');
    const r: DRecording = { name, format, target: `bridge:${b.id}`, state: 'queued', startedAt: Date.now() };
    this.live.set(name, r);
    b.recording = name;
    setImmediate(() => {
      if (!this.live.has(name)) return;
      r.state = 'recording';
      for (const app of b.subscribers)
        this.deliver(app, { ...this.event('RecordingStarted', { recording: recordingJson(r) }), application: app });
    });
    return r;
  }

  /**
   * POST /channels/{id}/record (res_stasis_recording record_file): 201 at once; a bridged channel then fails
   * ("Cannot record channel while in bridge"). Otherwise it records what the caller sends (the caller's frames drive
   * it: no timer needed), after the beep, until the terminating digit, `maxDurationSeconds`, or `maxSilenceSeconds` of
   * silence, or the hangup; the file is stored in every case.
   */
  recordChannel(
    c: DChannel,
    options: {
      name: string;
      format: string;
      ifExists: string;
      maxDurationSeconds: number;
      maxSilenceSeconds: number;
      beep: boolean;
      terminateOn: string;
    },
  ): DRecording {
    const { name, format } = options;
    if (!['wav', 'gsm', 'ulaw', 'alaw', 'sln', 'g722', 'wav16'].includes(format))
      throw new AriFault(422, 'specified format is unknown on this system');
    if ((this.live.has(name) || this.stored.has(name)) && options.ifExists === 'fail')
      throw new AriFault(422, 'Recording already in progress or exists');
    const r: DRecording = {
      name,
      format,
      target: `channel:${c.id}`,
      state: 'queued',
      startedAt: Date.now(),
      terminateOn: options.terminateOn,
      timers: [],
    };
    const app = c.app;
    const send = (type: string, fields: Record<string, unknown> = {}): void => {
      if (app) this.deliver(app, { ...this.event(type, { recording: { ...recordingJson(r), ...fields } }), application: app });
    };
    setImmediate(() => {
      if (!this.channels.has(c.id)) return;
      if (c.bridge) {
        send('RecordingFailed', { state: 'failed', cause: 'Cannot record channel while in bridge' });
        return;
      }
      this.live.set(name, r);
      r.state = 'recording';
      r.toneHz = c.sim?.tone ?? undefined;
      r.startedAt = Date.now() + (options.beep ? this.ms(mediaDuration('sound:beep').ms) : 0);
      send('RecordingStarted');
      if (options.maxDurationSeconds > 0)
        r.timers!.push(
          setTimeout(
            () => this.live.has(name) && this.stopRecording(name),
            this.ms(options.maxDurationSeconds * 1000) + (r.startedAt - Date.now()),
          ),
        );
      if (options.maxSilenceSeconds > 0) {
        // Silence detection on what the caller sends: a silent caller's recording ends maxSilence after it began.
        const check = setInterval(() => {
          if (!this.live.has(name)) return clearInterval(check);
          if (c.sim?.speaking) r.silentSince = undefined;
          else {
            r.silentSince ??= Date.now();
            if (Date.now() - r.silentSince >= this.ms(options.maxSilenceSeconds * 1000)) this.stopRecording(name);
          }
        }, this.ms(100));
        r.timers!.push(check);
      }
    });
    return r;
  }

  private stopChannelRecordings(c: DChannel): void {
    for (const r of [...this.live.values()]) if (r.target === `channel:${c.id}`) this.stopRecording(r.name);
  }

  /**
   * The bytes Asterisk would serve for a stored recording: a WAV as long as it ran (8 kHz, 16-bit), of silence, or of
   * the caller's tone for a channel recording.
   */
  storedFile(recording: { name: string; seconds: number; toneHz?: number | undefined }): Buffer {
    const data = Math.max(1, recording.seconds) * 16000;
    const file = Buffer.alloc(44 + data);
    file.write('RIFF', 0, 'ascii');
    file.writeUInt32LE(36 + data, 4);
    file.write('WAVEfmt ', 8, 'ascii');
    file.writeUInt32LE(16, 16);
    file.writeUInt16LE(1, 20);
    file.writeUInt16LE(1, 22);
    file.writeUInt32LE(8000, 24);
    file.writeUInt32LE(16000, 28);
    file.writeUInt16LE(2, 32);
    file.writeUInt16LE(16, 34);
    file.write('data', 36, 'ascii');
    file.writeUInt32LE(data, 40);
    const hz = recording.toneHz;
    if (hz !== undefined) {
      for (let i = 0; i * 2 < data; i++) file.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / 8000)), 44 + i * 2);
      return file;
    }
    // A marker per second, so a byte range read from the wrong offset shows.
    for (let second = 0; second * 16000 < data; second++) file.writeUInt16LE(second + 1, 44 + second * 16000);
    return file;
  }

  /** Asterisk 22 answers 409 for a recording not yet recording (queued); the double's length counts the pause in. */
  pauseRecording(name: string, paused: boolean): void {
    const r = this.live.get(name);
    if (!r) throw new AriFault(404, 'Recording not found');
    if (r.state === 'queued') throw new AriFault(409, 'Recording not in session');
    r.state = paused ? 'paused' : 'recording';
  }

  stopRecording(name: string): void {
    const r = this.live.get(name);
    if (!r) throw new AriFault(404, 'Recording not found');
    this.live.delete(name);
    r.state = 'done';
    for (const timer of r.timers ?? []) clearTimeout(timer);
    const b = r.target.startsWith('bridge:') ? this.bridges.get(r.target.replace(/^bridge:/, '')) : undefined;
    if (b) b.recording = undefined;
    const channel = r.target.startsWith('channel:') ? this.channels.get(r.target.slice('channel:'.length)) : undefined;
    // A channel recording lasts as long as Asterisk's clock says (the double runs `speed` times faster), and holds
    // what the caller said: their tone when it began.
    const elapsed = Math.max(0, Date.now() - r.startedAt) * (channel ? this.options.speed : 1);
    const seconds = Math.round(elapsed / 1000);
    this.stored.set(name, { name, format: r.format, seconds, toneHz: r.toneHz });
    const apps = b ? b.subscribers : new Set(channel?.app ? [channel.app] : []);
    for (const app of apps) {
      this.deliver(app, {
        ...this.event('RecordingFinished', { recording: { ...recordingJson(r), duration: seconds } }),
        application: app,
      });
    }
  }

  // ---- modules --------------------------------------------------------------------------------

  setModule(name: string, loaded: boolean): void {
    if (loaded) this.modules.add(name);
    else this.modules.delete(name);
  }

  moduleJson(name: string): Record<string, unknown> {
    return { name, description: name.replace(/\.so$/, ''), use_count: 0, status: 'Running', support_level: 'core' };
  }

  close(): void {
    for (const p of this.playbacks.values()) if (p.timer) clearTimeout(p.timer);
    for (const c of this.channels.values()) {
      c.media?.close();
      c.sip?.dialog.close();
    }
  }
}

/** `PJSIP/alice-0000001` -> `alice`: the endpoint a PJSIP channel belongs to. */
function pjsipEndpoint(name: string): string {
  return name.startsWith('PJSIP/') ? name.slice(6, name.lastIndexOf('-')) : '';
}
