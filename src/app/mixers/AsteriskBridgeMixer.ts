import type { AriClient, AriEvent, Bridge } from '../../ari';
import { ignoreGone, isNotFound } from '../../ari';
import type * as ports from '../../conference/ports';
import { Children, type ClosingEvents } from '../../lib/children';
import type { Clock } from '../../lib/clock';
import { AppError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { TypedEmitter } from '../../lib/TypedEmitter';
import type { AsteriskInventory } from '../inventory';
import { CONFERENCE_BRIDGE_PREFIX } from '../names';
import { startPlayback, type RunningPlayback } from '../playback';
import { volumeValue } from './gain';
import type { TimingProbe } from './TimingProbe';

/** A recording part as its writer starts it; `session` and `part` are set from part 2 on (a takeover continued it). */
export interface RecordingStart {
  name: string;
  conferenceNumber: string;
  location: 'asterisk' | 'local';
  path: string;
  participantId?: string;
  session?: string;
  part?: number;
  /** The node whose Asterisk writes it (`asterisk`). */
  node?: string;
}

export interface RecordingSink {
  started(info: RecordingStart): void;
  stopped(name: string): void;
  /** Its writer died (a media thread restarted): its file repaired and the part ended in the index, as after a takeover. */
  interrupted(name: string): void;
}

/** A recording Asterisk still makes (queued, recording or paused): where it records; undefined when it has none by that name. */
export async function liveRecording(ari: AriClient, name: string): Promise<{ target: string; paused: boolean } | undefined> {
  try {
    const live = await ari.rest.recordings.getLive({ recordingName: name });
    if (!['queued', 'recording', 'paused'].includes(live.state)) return undefined;
    return { target: live.target_uri, paused: live.state === 'paused' };
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Where a target's part belongs, for the sink. */
export function partOf(target: ports.RecordingTarget): { session?: string; part?: number } {
  return {
    ...(target.session !== undefined ? { session: target.session } : {}),
    ...(target.part !== undefined ? { part: target.part } : {}),
  };
}

/** Mixing in an ARI mixing bridge; needs a res_timing_* module on the Asterisk side. Owns its conferences' media. */
export class AsteriskBridgeMixer implements ports.MixerBackend {
  readonly kind = 'asterisk' as const;
  private readonly medias = new Children<string, AsteriskConferenceMedia>();
  /** Conference bridges a previous holder left, by number, until a conference of that number takes one over. */
  private readonly offered = new Map<string, { id: string; channels: Set<string> }>();

  constructor(private readonly deps: { ari: AriClient; probe: TimingProbe; clock: Clock; logger: Logger; recordings: RecordingSink }) {}

  /**
   * At recovery: the conference bridges a previous run left, with their callers. The conference that opens next
   * under one's number takes it over as it is (its callers stay in it, a bridge recording goes on); returns the
   * ones that cannot be taken (a second bridge of the same number), to be destroyed.
   */
  offer(bridges: Bridge[]): Bridge[] {
    const spare: Bridge[] = [];
    for (const bridge of bridges) {
      const number = (bridge.name ?? '').slice(CONFERENCE_BRIDGE_PREFIX.length);
      if (this.offered.has(number)) spare.push(bridge);
      else this.offered.set(number, { id: bridge.id, channels: new Set(bridge.channels) });
    }
    return spare;
  }

  /** After the callers were adopted: the offered bridges no conference took over, to be destroyed. */
  unclaimed(): string[] {
    const ids = [...this.offered.values()].map((b) => b.id);
    this.offered.clear();
    return ids;
  }

  availability(): ports.MixerAvailability {
    const state = this.deps.probe.state;
    if (!state.checked) return { ok: false, reason: 'the Asterisk timing check has not run yet (ARI not connected)' };
    if (state.modules.length === 0) {
      return {
        ok: false,
        reason:
          'Asterisk has no res_timing_* module loaded, so a mixing bridge would be silent: load res_timing_timerfd (modules.conf: preload => res_timing_timerfd.so) or use mixer "app"',
      };
    }
    return { ok: true };
  }

  async open(spec: ports.ConferenceMediaSpec): Promise<ports.ConferenceMedia> {
    const availability = this.availability();
    if (!availability.ok) throw new AppError('mixer_unavailable', availability.reason ?? 'Asterisk mixer unavailable');
    const inherited = this.offered.get(spec.number);
    this.offered.delete(spec.number);
    const media = this.medias.add(spec.conferenceId, new AsteriskConferenceMedia(this.deps, spec, inherited));
    try {
      await media.create();
    } catch (error) {
      await media.close();
      throw error;
    }
    return media;
  }

  /** After a reconnect, first: what Asterisk no longer has is marked gone, so no teardown asks about it. */
  forgetGone(inventory: AsteriskInventory): void {
    for (const media of this.medias.values()) media.forgetGone(inventory);
  }

  /** Then: a conference whose bridge Asterisk no longer has cannot mix any more; members that fell out are lost. */
  reconcile(inventory: AsteriskInventory): void {
    for (const media of this.medias.values()) media.reconcile(inventory);
  }
}

interface Member {
  participant: ports.MediaParticipant;
  talk: boolean;
  listen: boolean;
  /** Added to the bridge once (so a reconcile can tell it fell out). */
  added: boolean;
  /** In the bridge as far as we know: false once it left (an event, or missing after a reconnect). */
  inBridge: boolean;
  /** Asterisk said the channel is hanging up. */
  hangingUp: boolean;
  /** Asterisk said the channel left the bridge (ChannelLeftBridge). */
  leftBridge: boolean;
  dispose: () => void;
}

class AsteriskConferenceMedia implements ports.ConferenceMedia {
  readonly kind = 'asterisk' as const;
  readonly events = new TypedEmitter<ports.ConferenceMediaEvents & ClosingEvents>();
  private readonly bridgeId: string;
  private readonly members = new Map<string, Member>();
  private readonly byChannel = new Map<string, string>();
  private recording: string | undefined;
  private readonly playing = new Set<RunningPlayback>();
  private closed = false;
  /** Asterisk no longer has the bridge (read back after a reconnect). */
  private bridgeGone = false;
  private disposeBridge: () => void = () => undefined;
  private readonly log: Logger;

  /** Callers already in the bridge taken over from a previous holder: nothing to add them with. */
  private readonly inherited: Set<string>;

  constructor(
    private readonly deps: { ari: AriClient; clock: Clock; logger: Logger; recordings: RecordingSink },
    private readonly spec: ports.ConferenceMediaSpec,
    /** A bridge a previous holder left (its recording, if any, still running), taken over instead of a new one. */
    private readonly takenOver?: { id: string; channels: Set<string> },
  ) {
    this.bridgeId = takenOver?.id ?? deps.ari.newId('conf');
    this.inherited = new Set(takenOver?.channels);
    this.log = deps.logger.child({ conference: spec.number, bridge: this.bridgeId });
  }

  async create(): Promise<void> {
    this.disposeBridge = this.deps.ari.onBridge(this.bridgeId, (event) => this.onBridgeEvent(event));
    if (this.takenOver) return;
    // dtmf_events keeps a two-member bridge out of native_rtp, where ARI would get no DTMF (FINDINGS "Bridges").
    await this.deps.ari.rest.bridges.createWithId({
      bridgeId: this.bridgeId,
      type: 'mixing,dtmf_events',
      name: `${CONFERENCE_BRIDGE_PREFIX}${this.spec.number}`,
    });
  }

  private onBridgeEvent(event: AriEvent): void {
    if (event.type === 'BridgeDestroyed') {
      this.backendGone('the conference bridge was destroyed');
    } else if (event.type === 'ChannelLeftBridge') {
      // Without a timer softmix drops every channel at three members (no-timing-module.jsonl).
      const participantId = this.byChannel.get(event.channel.id);
      const member = participantId !== undefined ? this.members.get(participantId) : undefined;
      if (participantId !== undefined && member && !member.leftBridge) {
        // Out of the bridge already: its removal asks nothing. While it is being added, add() reports it.
        member.leftBridge = true;
        member.inBridge = false;
        if (member.added && !member.hangingUp) this.events.safeEmit('lost', participantId, 'the channel left the conference bridge');
      }
    }
  }

  /** After a reconnect, before anyone reacts: what Asterisk no longer has is never asked about (see App.reconcile). */
  forgetGone(inventory: AsteriskInventory): void {
    const inBridge = inventory.bridges.get(this.bridgeId);
    if (!inBridge) this.bridgeGone = true;
    for (const member of this.members.values()) if (!inBridge?.has(member.participant.caller.channelId)) member.inBridge = false;
  }

  /** Then: a bridge that is gone ends the conference; a caller still there but out of the bridge is lost. */
  reconcile(inventory: AsteriskInventory): void {
    if (this.closed) return;
    if (this.bridgeGone) {
      this.backendGone('the conference bridge is gone');
      return;
    }
    for (const [participantId, member] of [...this.members]) {
      const channelId = member.participant.caller.channelId;
      // A caller who hung up meanwhile was let go by their own session.
      if (!member.inBridge && member.added && inventory.channels.has(channelId)) {
        this.forget(participantId);
        this.events.safeEmit('lost', participantId, 'the channel left the conference bridge while the events socket was down');
      }
    }
  }

  /**
   * The bridge is gone (destroyed, or missing after a reconnect): everything is forgotten without asking Asterisk
   * anything more, and the conference is told it cannot mix.
   */
  private backendGone(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.forgetAll();
    const name = this.recording;
    this.recording = undefined;
    if (name) this.deps.recordings.stopped(name);
    this.events.safeEmit('failed', reason);
    this.events.safeEmit('@close');
    this.events.removeAllListeners();
  }

  private forgetAll(): void {
    for (const participantId of [...this.members.keys()]) this.forget(participantId);
    for (const playback of this.playing) playback.abandon();
    this.disposeBridge();
  }

  private member(participantId: string): Member {
    const member = this.members.get(participantId);
    if (!member) throw new AppError('participant_not_found', `participant ${participantId} is not in the mix`);
    return member;
  }

  async add(participant: ports.MediaParticipant): Promise<void> {
    // A browser has no channel to put into the bridge.
    if (participant.caller.media)
      throw new AppError('webrtc_unavailable', 'browsers join conferences the app mixes (mixer: app), not an Asterisk bridge');
    const channelId = participant.caller.channelId;
    const dispose = this.deps.ari.onChannel(channelId, (event) => {
      if (event.type === 'ChannelTalkingStarted') this.events.safeEmit('talking', participant.participantId, true);
      else if (event.type === 'ChannelTalkingFinished') this.events.safeEmit('talking', participant.participantId, false);
      // A hangup sends ChannelLeftBridge before StasisEnd: leaving the bridge is then the hangup, not a lost channel.
      else if (event.type === 'ChannelHangupRequest') member.hangingUp = true;
    });
    const member: Member = {
      participant,
      talk: true,
      listen: true,
      added: false,
      inBridge: false,
      hangingUp: false,
      leftBridge: false,
      dispose,
    };
    this.members.set(participant.participantId, member);
    this.byChannel.set(channelId, participant.participantId);
    // Taken over with the bridge: already in it, with its talk detection set.
    if (this.inherited.delete(channelId)) {
      member.added = true;
      member.inBridge = true;
      return;
    }
    try {
      await this.deps.ari.rest.channels.setChannelVar({ channelId, variable: 'TALK_DETECT(set)', value: '' });
      await this.deps.ari.rest.bridges.addChannel({ bridgeId: this.bridgeId, channel: [channelId] });
    } catch (error) {
      this.forget(participant.participantId);
      throw error;
    }
    member.added = true;
    // The event can come before the answer to addChannel (the bridge destroyed right after the add).
    member.inBridge = !member.leftBridge;
    if (member.leftBridge && !member.hangingUp && this.members.get(participant.participantId) === member)
      this.events.safeEmit('lost', participant.participantId, 'the channel left the conference bridge');
    // Removed while it was being added: the add is undone (the removal found nothing to remove yet), unless the
    // channel left the bridge meanwhile (the 'lost' above removes it at once: there is nothing in the bridge to undo).
    if (this.members.get(participant.participantId) !== member && !member.leftBridge && !this.closed && !participant.caller.gone)
      await ignoreGone(this.deps.ari.rest.bridges.removeChannel({ bridgeId: this.bridgeId, channel: [channelId] }));
  }

  private forget(participantId: string): Member | undefined {
    const member = this.members.get(participantId);
    if (!member) return undefined;
    member.dispose();
    this.members.delete(participantId);
    this.byChannel.delete(member.participant.caller.channelId);
    return member;
  }

  async remove(participantId: string): Promise<void> {
    const member = this.forget(participantId);
    if (!member || member.participant.caller.gone || (member.added && !member.inBridge)) return;
    await ignoreGone(this.deps.ari.rest.bridges.removeChannel({ bridgeId: this.bridgeId, channel: [member.participant.caller.channelId] }));
  }

  private async applyMute(member: Member): Promise<void> {
    const channelId = member.participant.caller.channelId;
    const { channels } = this.deps.ari.rest;
    // Asterisk keeps one mute state per direction: set both explicitly so the result never depends on order.
    if (!member.talk && !member.listen) await ignoreGone(channels.mute({ channelId, direction: 'both' }));
    else if (!member.talk) {
      await ignoreGone(channels.unmute({ channelId, direction: 'out' }));
      await ignoreGone(channels.mute({ channelId, direction: 'in' }));
    } else if (!member.listen) {
      await ignoreGone(channels.unmute({ channelId, direction: 'in' }));
      await ignoreGone(channels.mute({ channelId, direction: 'out' }));
    } else await ignoreGone(channels.unmute({ channelId, direction: 'both' }));
  }

  async setTalk(participantId: string, enabled: boolean): Promise<void> {
    const member = this.member(participantId);
    member.talk = enabled;
    await this.applyMute(member);
  }

  async setListen(participantId: string, enabled: boolean): Promise<void> {
    const member = this.member(participantId);
    member.listen = enabled;
    await this.applyMute(member);
  }

  async setGain(participantId: string, gain: { talk?: ports.GainStep; listen?: ports.GainStep }): Promise<void> {
    const channelId = this.member(participantId).participant.caller.channelId;
    const { channels } = this.deps.ari.rest;
    // TX is what the caller hears, RX what Asterisk reads from them.
    if (gain.listen !== undefined)
      await ignoreGone(channels.setChannelVar({ channelId, variable: 'VOLUME(TX)', value: volumeValue(gain.listen) }));
    if (gain.talk !== undefined)
      await ignoreGone(channels.setChannelVar({ channelId, variable: 'VOLUME(RX)', value: volumeValue(gain.talk) }));
  }

  async playToAll(media: ports.MediaUri[]): Promise<void> {
    if (this.closed || media.length === 0) return;
    const playback = startPlayback(this.deps.ari, this.deps.clock, this.log, { kind: 'bridge', id: this.bridgeId }, media);
    this.playing.add(playback);
    await playback.finished;
    this.playing.delete(playback);
  }

  async playTo(participantId: string, media: ports.MediaUri[]): Promise<ports.PromptEnd> {
    return this.member(participantId).participant.caller.play(media);
  }

  async startMusic(participantId: string): Promise<void> {
    const channelId = this.member(participantId).participant.caller.channelId;
    await ignoreGone(this.deps.ari.rest.channels.startMoh({ channelId }));
  }

  async stopMusic(participantId: string): Promise<void> {
    const member = this.members.get(participantId);
    if (!member) return;
    await ignoreGone(this.deps.ari.rest.channels.stopMoh({ channelId: member.participant.caller.channelId }));
  }

  async startRecording(target: ports.RecordingTarget): Promise<void> {
    if (this.recording) throw new AppError('already_recording', 'the conference is already being recorded');
    await this.deps.ari.rest.bridges.record({ bridgeId: this.bridgeId, name: target.name, format: 'wav', ifExists: 'fail' });
    this.recording = target.name;
    this.deps.recordings.started({
      name: target.name,
      conferenceNumber: this.spec.number,
      location: 'asterisk',
      path: `${target.name}.wav`,
      node: this.deps.ari.nodeId,
      ...partOf(target),
    });
  }

  /**
   * A bridge recording goes on while the app is dead: the new holder of a bridge it took over makes it its own
   * (stop, pause), rather than starting a second one. Only a recording Asterisk still has live counts.
   */
  async adoptRecording(target: ports.RecordingTarget, paused: boolean): Promise<boolean> {
    if (!this.takenOver || this.recording || this.closed) return false;
    const live = await liveRecording(this.deps.ari, target.name);
    if (live?.target !== `bridge:${this.bridgeId}`) return false;
    // Asterisk is made to agree with the pause the callers' channels carry (a pause the dead holder never saved is undone).
    if (live.paused !== paused) {
      const { recordings } = this.deps.ari.rest;
      await (paused ? recordings.pause({ recordingName: target.name }) : recordings.unpause({ recordingName: target.name }));
    }
    this.recording = target.name;
    return true;
  }

  /** The caller's own audio would be a channel recording, which holds up their prompts and DTMF (FINDINGS): not offered. */
  async startParticipantRecording(): Promise<void> {
    throw new AppError('participant_recording_unsupported', 'per-participant recording needs the app mixer (mixer: app)');
  }

  async stopParticipantRecording(): Promise<void> {
    throw new AppError('participant_recording_unsupported', 'per-participant recording needs the app mixer (mixer: app)');
  }

  async pauseRecording(paused: boolean): Promise<void> {
    const name = this.recording;
    if (!name) return;
    const { recordings } = this.deps.ari.rest;
    await (paused ? recordings.pause({ recordingName: name }) : recordings.unpause({ recordingName: name }));
  }

  async stopRecording(): Promise<void> {
    const name = this.recording;
    if (!name) return;
    this.recording = undefined;
    if (!this.bridgeGone) await ignoreGone(this.deps.ari.rest.recordings.stop({ recordingName: name }));
    this.deps.recordings.stopped(name);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.stopRecording().catch((error: unknown) => this.log.warn({ err: error }, 'stopping the recording'));
    this.forgetAll();
    if (!this.bridgeGone) await ignoreGone(this.deps.ari.rest.bridges.destroy({ bridgeId: this.bridgeId }));
    this.events.safeEmit('@close');
    this.events.removeAllListeners();
  }
}
