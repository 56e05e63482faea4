import type { AriClient, AriEvent } from '../../ari';
import { ignoreGone } from '../../ari';
import type {
  ConferenceMedia,
  ConferenceMediaEvents,
  ConferenceMediaSpec,
  DirectMedia,
  GainStep,
  MediaParticipant,
  MediaUri,
  MixerAvailability,
  MixerBackend,
  PromptEnd,
  RecordingTarget,
} from '../../conference/ports';
import { AppError } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { TypedEmitter } from '../../lib/TypedEmitter';
import type { MediaThreads, RemoteLeg, RemoteRoom } from '../../media';
import { join } from 'node:path';
import type { RecordingSink } from './AsteriskBridgeMixer';
import { gainFactor } from './gain';
import { LEG_BRIDGE_PREFIX, MEDIA_CHANNEL_PREFIX } from '../names';
import type { SipLegs } from './SipLegs';

export interface AppMixerDeps {
  ari: AriClient;
  engine: MediaThreads;
  /** host:port Asterisk sends a room's RTP to (externalMedia `external_host`), given the room's media thread port. */
  externalHost: (port: number) => string;
  recordingsDir: string;
  recordings: RecordingSink;
  logger: Logger;
  /** SIP media legs, when Asterisk has the endpoint for them (see App); otherwise externalMedia legs. */
  sipLegs?: () => SipLegs | undefined;
  /** How long to wait for the media channel's StasisStart. */
  stasisTimeoutMs?: number;
  /** Where callers with direct media (browsers) send a room's RTP, on this host. */
  directHost?: string;
}

/**
 * The app's own mixer: each caller shares a two-channel bridge with a media leg, and the media engine mixes on
 * our clock. A PJSIP caller's leg is a SIP call to us (native_rtp: Asterisk relays RTP without decoding it);
 * any other caller's is an externalMedia (chan_rtp) channel (simple_bridge). Neither needs an Asterisk timing module (FINDINGS
 * "Caller paired with externalMedia": all three bridge types ran as simple_bridge with no timer).
 */
export class AppMixer implements MixerBackend {
  readonly kind = 'app' as const;

  constructor(private readonly deps: AppMixerDeps) {}

  availability(): MixerAvailability {
    return { ok: true };
  }

  async open(spec: ConferenceMediaSpec): Promise<ConferenceMedia> {
    return new AppConferenceMedia(this.deps, spec);
  }
}

interface Leg {
  participant: MediaParticipant;
  leg: RemoteLeg;
  /** Unset for a caller with direct media: nothing of it is in Asterisk. */
  mediaChannelId?: string;
  bridgeId?: string;
  disposers: (() => void)[];
}

class AppConferenceMedia implements ConferenceMedia {
  readonly kind = 'app' as const;
  readonly events = new TypedEmitter<ConferenceMediaEvents>();
  private readonly room: RemoteRoom;
  private readonly legs = new Map<string, Leg>();
  private recording: string | undefined;
  private closed = false;
  private readonly log: Logger;

  constructor(
    private readonly deps: AppMixerDeps,
    private readonly spec: ConferenceMediaSpec,
  ) {
    this.room = deps.engine.createRoom(spec.conferenceId);
    this.log = deps.logger.child({ conference: spec.number });
  }

  private get(participantId: string): Leg {
    const leg = this.legs.get(participantId);
    if (!leg) throw new AppError('participant_not_found', `participant ${participantId} is not in the mix`);
    return leg;
  }

  async add(participant: MediaParticipant): Promise<void> {
    if (participant.caller.media) return this.addDirect(participant, participant.caller.media);
    const { ari } = this.deps;
    const { participantId } = participant;
    // Stage, then execute: ids are ours and routed before anything is created.
    const mediaChannelId = ari.newId(MEDIA_CHANNEL_PREFIX);
    const bridgeId = ari.newId('leg');
    const leg = this.room.addLeg({ participantId, codec: 'ulaw' });
    const entry: Leg = { participant, leg, mediaChannelId, bridgeId, disposers: [] };
    this.legs.set(participantId, entry);
    entry.disposers.push(leg.events.subscribe('talking', (talking) => this.events.safeEmit('talking', participantId, talking)));
    const inStasis = this.waitForStasis(mediaChannelId, entry);
    try {
      const available = this.deps.sipLegs?.();
      const sipLegs = available && (await this.isSipCaller(participant.caller.channelId)) ? available : undefined;
      if (sipLegs) await this.dialSipLeg(sipLegs, entry, mediaChannelId, inStasis);
      else await this.createExternalMediaLeg(entry, mediaChannelId, inStasis);
      entry.disposers.push(ari.onBridge(bridgeId, (event) => this.onLegBridgeEvent(entry, event)));
      // A plain mixing bridge lets a PJSIP caller and a SIP leg go native_rtp. With an externalMedia leg
      // native_rtp is never possible, and dtmf_events keeps it from being tried.
      await ari.rest.bridges.createWithId({
        bridgeId,
        type: sipLegs ? 'mixing' : 'mixing,dtmf_events',
        name: `${LEG_BRIDGE_PREFIX}${this.spec.number}:${participantId}`,
      });
      if (sipLegs) {
        // Digits reach ARI as ChannelDtmfReceived either way; absorbing them keeps Asterisk from sending them
        // on to the leg, whose answer offered no telephone-event.
        await ari.rest.bridges.addChannel({ bridgeId, channel: [participant.caller.channelId], absorbDTMF: true });
        await ari.rest.bridges.addChannel({ bridgeId, channel: [mediaChannelId] });
      } else {
        await ari.rest.bridges.addChannel({ bridgeId, channel: [participant.caller.channelId, mediaChannelId] });
      }
    } catch (error) {
      await this.teardown(entry);
      throw error;
    }
  }

  /** Only a PJSIP caller can share a native RTP bridge with a SIP leg (bridge_native_rtp's DTMF check). */
  private async isSipCaller(channelId: string): Promise<boolean> {
    const channel = await this.deps.ari.rest.channels.get({ channelId });
    return channel.name.startsWith('PJSIP/');
  }

  private async dialSipLeg(sipLegs: SipLegs, entry: Leg, channelId: string, inStasis: Promise<void>): Promise<void> {
    const { ari } = this.deps;
    // With direct media Asterisk re-INVITEs the leg to the phone's own address: its RTP then comes from there.
    const call = sipLegs.expect(channelId, this.room.port, (moved) => entry.leg.setRemote(moved.address, moved.port));
    entry.disposers.push(call.cancel);
    // The answered leg enters Stasis; its INVITE told us where Asterisk takes RTP (and sends it from).
    await ari.rest.channels.originateWithId({ channelId, endpoint: call.endpoint, app: ari.app, formats: 'ulaw' });
    // A leg that is never answered ends with inStasis's timeout.
    const remote = await Promise.race([call.answered, inStasis.then(() => call.answered)]);
    entry.leg.setRemote(remote.address, remote.port);
    await inStasis;
  }

  private async createExternalMediaLeg(entry: Leg, channelId: string, inStasis: Promise<void>): Promise<void> {
    const { ari } = this.deps;
    // externalMedia's StasisStart can arrive before its REST response (FINDINGS "externalMedia").
    const channel = await ari.rest.channels.externalMedia({
      channelId,
      app: ari.app,
      external_host: this.deps.externalHost(this.room.port),
      format: 'ulaw',
      encapsulation: 'rtp',
      transport: 'udp',
      connection_type: 'client',
      direction: 'both',
    });
    const vars = channel.channelvars ?? {};
    const address = typeof vars.UNICASTRTP_LOCAL_ADDRESS === 'string' ? vars.UNICASTRTP_LOCAL_ADDRESS : '';
    const port = Number(vars.UNICASTRTP_LOCAL_PORT);
    if (!address || !Number.isInteger(port))
      throw new AppError('media_setup_failed', 'externalMedia answered without UNICASTRTP_LOCAL_ADDRESS/PORT');
    // Accept RTP only from where Asterisk sends it; anything else is foreign.
    entry.leg.setRemote(address, port);
    // addChannel before StasisStart fails 422 "Channel not in Stasis application".
    await inStasis;
  }

  /** A browser: its relay is the leg's remote, as an externalMedia channel's address would be. */
  private async addDirect(participant: MediaParticipant, media: DirectMedia): Promise<void> {
    const { participantId } = participant;
    const leg = this.room.addLeg({ participantId, codec: 'ulaw' });
    const entry: Leg = { participant, leg, disposers: [() => media.detach()] };
    this.legs.set(participantId, entry);
    entry.disposers.push(leg.events.subscribe('talking', (talking) => this.events.safeEmit('talking', participantId, talking)));
    try {
      const remote = await media.attach({ host: this.deps.directHost ?? '127.0.0.1', port: this.room.port });
      leg.setRemote(remote.address, remote.port);
    } catch (error) {
      await this.teardown(entry);
      throw error;
    }
  }

  private waitForStasis(channelId: string, entry: Leg): Promise<void> {
    const { ari } = this.deps;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        dispose();
        reject(new AppError('media_setup_timeout', 'the externalMedia channel never entered Stasis'));
      }, this.deps.stasisTimeoutMs ?? 5000);
      const dispose = ari.onChannel(channelId, (event) => {
        if (event.type === 'StasisStart') {
          clearTimeout(timer);
          resolve();
        } else if (event.type === 'StasisEnd' || event.type === 'ChannelDestroyed') {
          this.onMediaChannelGone(entry);
        }
      });
      entry.disposers.push(() => {
        clearTimeout(timer);
        dispose();
      });
    });
  }

  private onMediaChannelGone(entry: Leg): void {
    if (this.legs.get(entry.participant.participantId) !== entry) return;
    this.events.safeEmit('lost', entry.participant.participantId, 'the externalMedia channel ended');
  }

  private onLegBridgeEvent(entry: Leg, event: AriEvent): void {
    if (event.type === 'BridgeDestroyed' && this.legs.get(entry.participant.participantId) === entry) {
      this.events.safeEmit('lost', entry.participant.participantId, 'the caller bridge was destroyed');
    }
  }

  /** Releases everything a leg holds; safe on a half-built leg and when Asterisk already dropped things. */
  private async teardown(entry: Leg): Promise<void> {
    if (this.legs.get(entry.participant.participantId) === entry) this.legs.delete(entry.participant.participantId);
    for (const dispose of entry.disposers.splice(0)) dispose();
    this.room.removeLeg(entry.participant.participantId);
    const { rest } = this.deps.ari;
    if (entry.mediaChannelId !== undefined) await ignoreGone(rest.channels.hangup({ channelId: entry.mediaChannelId }));
    if (entry.bridgeId !== undefined) await ignoreGone(rest.bridges.destroy({ bridgeId: entry.bridgeId }));
  }

  async remove(participantId: string): Promise<void> {
    const entry = this.legs.get(participantId);
    if (entry) await this.teardown(entry);
  }

  async setTalk(participantId: string, enabled: boolean): Promise<void> {
    this.get(participantId).leg.setTalk(enabled);
  }

  async setListen(participantId: string, enabled: boolean): Promise<void> {
    this.get(participantId).leg.setListen(enabled);
  }

  async setGain(participantId: string, gain: { talk?: GainStep; listen?: GainStep }): Promise<void> {
    const leg = this.get(participantId).leg;
    leg.setGain({
      ...(gain.talk !== undefined && { talk: gainFactor(gain.talk) }),
      ...(gain.listen !== undefined && { listen: gainFactor(gain.listen) }),
    });
  }

  async playToAll(media: MediaUri[]): Promise<void> {
    if (this.closed) return;
    const result = await this.room.playToAll(media);
    if (result === 'failed') this.log.warn({ media }, 'announcement could not be played');
  }

  async playTo(participantId: string, media: MediaUri[]): Promise<PromptEnd> {
    const entry = this.get(participantId);
    if (entry.participant.caller.gone) return 'hangup';
    const result = await this.room.playTo(participantId, media);
    if (result === 'failed' && !entry.participant.caller.gone) this.log.warn({ media, participantId }, 'prompt could not be played');
    return entry.participant.caller.gone ? 'hangup' : 'done';
  }

  async startMusic(participantId: string): Promise<void> {
    this.get(participantId);
    this.room.startMusic(participantId);
  }

  async stopMusic(participantId: string): Promise<void> {
    if (this.legs.has(participantId)) this.room.stopMusic(participantId);
  }

  async startRecording(target: RecordingTarget): Promise<void> {
    if (this.recording) throw new AppError('already_recording', 'the conference is already being recorded');
    const path = join(this.deps.recordingsDir, `${target.name}.wav`);
    await this.room.startRecording(path);
    this.recording = target.name;
    this.deps.recordings.started({ name: target.name, conferenceNumber: this.spec.number, location: 'local', path });
  }

  async pauseRecording(paused: boolean): Promise<void> {
    this.room.pauseRecording(paused);
  }

  async stopRecording(): Promise<void> {
    const name = this.recording;
    if (!name) return;
    this.recording = undefined;
    await this.room.stopRecording();
    this.deps.recordings.stopped(name);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.stopRecording().catch((error: unknown) => this.log.warn({ err: error }, 'stopping the recording'));
    await Promise.all([...this.legs.values()].map((entry) => this.teardown(entry)));
    this.deps.engine.closeRoom(this.spec.conferenceId);
    this.events.removeAllListeners();
  }
}
