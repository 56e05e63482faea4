import { join } from 'node:path';
import type * as ports from '../../conference/ports';
import { Children, type ClosingEvents } from '../../lib/children';
import { AppError } from '../../lib/errors';
import type { Clock } from '../../lib/clock';
import type { Logger } from '../../lib/logger';
import { TypedEmitter } from '../../lib/TypedEmitter';
import type { RemoteRoom } from '../../media';
import type { AsteriskInventory } from '../inventory';
import { AppLeg, type NodeMedia } from './AppLeg';
import { DirectLeg } from './DirectLeg';
import { partOf, type RecordingSink } from './AsteriskBridgeMixer';

export interface AppConferenceMediaDeps {
  clock: Clock;
  /** How long to wait for a media channel's StasisStart. */
  stasisTimeoutMs: number;
  /** The Asterisk side for a caller: the node they came in on, while the app drives it. */
  nodeFor: (caller: ports.CallerPort) => NodeMedia | undefined;
  recordingsDir: string;
  recordings: RecordingSink;
  /** Where the app's copy of a caller's recorded name (`recording:<name>`) is. */
  clipPath?: (name: string) => string;
  logger: Logger;
  /** Where callers with direct media (browsers) send a room's RTP, on this host. */
  directHost?: string;
}

const RECORDING = 'recording:';

/** A participant's way into the room: through Asterisk (AppLeg) or straight from the caller (DirectLeg). */
type Leg = AppLeg | DirectLeg;

/**
 * One conference on the app mixer: a room on a media thread, and a leg per participant (dropped on its `@close`).
 * Each leg goes through the node its caller came in on, so callers on different Asterisk servers share one room.
 */
export class AppConferenceMedia implements ports.ConferenceMedia {
  readonly kind = 'app' as const;
  readonly events = new TypedEmitter<ports.ConferenceMediaEvents & ClosingEvents>();
  private readonly legs = new Children<string, Leg>();
  private recording: string | undefined;
  /** Participant id to the name of their own recording. */
  private readonly participantRecordings = new Map<string, string>();
  private closed = false;
  private readonly log: Logger;

  constructor(
    private readonly deps: AppConferenceMediaDeps,
    private readonly spec: ports.ConferenceMediaSpec,
    private readonly room: RemoteRoom,
  ) {
    this.log = deps.logger.child({ conference: spec.number });
    // The room's thread restarted: the part its writer held is ended (file repaired) and the conference continues it.
    room.events.subscribe('recordingLost', (participantId) => {
      const name = participantId === undefined ? this.recording : this.participantRecordings.get(participantId);
      if (name === undefined) return;
      if (participantId === undefined) this.recording = undefined;
      else this.participantRecordings.delete(participantId);
      this.deps.recordings.interrupted(name);
      this.events.safeEmit('recordingLost', participantId);
    });
  }

  private get(participantId: string): Leg {
    const leg = this.legs.get(participantId);
    if (!leg) throw new AppError('participant_not_found', `participant ${participantId} is not in the mix`);
    return leg;
  }

  async add(participant: ports.MediaParticipant): Promise<void> {
    if (this.closed) throw new AppError('conference_ended', `conference ${this.spec.number} has ended`);
    const { participantId } = participant;
    const leg = await this.makeLeg(participant);
    if (this.closed) {
      this.room.removeLeg(participantId);
      throw new AppError('conference_ended', `conference ${this.spec.number} has ended`);
    }
    // Out of the room the moment the leg closes, before Asterisk is asked anything.
    this.legs.add(participantId, leg, () => this.room.removeLeg(participantId));
    leg.remote.events.subscribe('talking', (talking) => this.events.safeEmit('talking', participantId, talking));
    leg.events.subscribe('lost', (reason) => this.events.safeEmit('lost', participantId, reason));
    try {
      if (leg instanceof DirectLeg) await leg.setup(this.deps.directHost ?? '127.0.0.1', this.room.port);
      else await leg.setup(this.room.port);
    } catch (error) {
      await leg.close();
      throw error;
    }
  }

  private async makeLeg(participant: ports.MediaParticipant): Promise<Leg> {
    const { caller, participantId } = participant;
    if (caller.media) return new DirectLeg(participant, this.room.addLeg({ participantId, codec: 'ulaw' }), caller.media);
    const node = this.deps.nodeFor(caller);
    if (!node) throw new AppError('mixer_unavailable', `the node caller ${caller.channelId} came in on is not connected`);
    const codec = await AppLeg.codecFor(node.ari, caller.channelId, this.spec.media?.wideband ?? false);
    const remote = this.room.addLeg({ participantId, codec });
    return new AppLeg(
      { ...node, clock: this.deps.clock, stasisTimeoutMs: this.deps.stasisTimeoutMs },
      participant,
      remote,
      this.spec.number,
    );
  }

  async remove(participantId: string): Promise<void> {
    // Their own recording ends with the leg (the media thread finishes the file).
    this.participantRecordingEnded(participantId);
    await this.legs.get(participantId)?.close();
  }

  async startParticipantRecording(participantId: string, target: ports.RecordingTarget): Promise<void> {
    this.get(participantId);
    const path = join(this.deps.recordingsDir, `${target.name}.wav`);
    await this.room.startLegRecording(participantId, path);
    this.participantRecordings.set(participantId, target.name);
    this.deps.recordings.started({
      name: target.name,
      conferenceNumber: this.spec.number,
      location: 'local',
      path,
      participantId,
      ...partOf(target),
    });
  }

  async stopParticipantRecording(participantId: string): Promise<void> {
    const name = this.participantRecordings.get(participantId);
    if (!name) return;
    this.participantRecordings.delete(participantId);
    await this.room.stopLegRecording(participantId);
    this.deps.recordings.stopped(name);
  }

  private participantRecordingEnded(participantId: string): void {
    const name = this.participantRecordings.get(participantId);
    if (!name) return;
    this.participantRecordings.delete(participantId);
    this.deps.recordings.stopped(name);
  }

  /** After a node reconnects, first: pieces of its legs its Asterisk no longer has are marked gone (see AppLeg). */
  forgetGone(nodeId: string, inventory: AsteriskInventory): void {
    for (const leg of this.nodeLegs(nodeId)) leg.forgetGone(inventory);
  }

  /** Then: that node's legs broken meanwhile are reported lost. */
  reconcile(nodeId: string, inventory: AsteriskInventory): void {
    for (const leg of this.nodeLegs(nodeId)) leg.reconcile(inventory);
  }

  private nodeLegs(nodeId: string): AppLeg[] {
    return this.legs.values().filter((leg): leg is AppLeg => leg instanceof AppLeg && leg.nodeId === nodeId);
  }

  async setTalk(participantId: string, enabled: boolean): Promise<void> {
    this.get(participantId).remote.setTalk(enabled);
  }

  async setListen(participantId: string, enabled: boolean): Promise<void> {
    this.get(participantId).remote.setListen(enabled);
  }

  async setGain(participantId: string, gain: { talk?: ports.GainStep; listen?: ports.GainStep }): Promise<void> {
    this.get(participantId).remote.setGain(gain);
  }

  /** Asterisk's `recording:<name>` is a stored file there; the engine plays the app's own copy of it. */
  private local(media: ports.MediaUri[]): ports.MediaUri[] {
    const { clipPath } = this.deps;
    return media.map((m) => (clipPath && m.startsWith(RECORDING) ? `file:${clipPath(m.slice(RECORDING.length))}` : m));
  }

  async playToAll(media: ports.MediaUri[]): Promise<void> {
    if (this.closed) return;
    const result = await this.room.playToAll(this.local(media));
    // Cut short because the conference ended (its last callers hung up together): nothing went wrong.
    if (result === 'failed' && !this.closed) this.log.warn({ media }, 'announcement could not be played');
  }

  async playTo(participantId: string, media: ports.MediaUri[]): Promise<ports.PromptEnd> {
    const leg = this.get(participantId);
    if (leg.participant.caller.gone) return 'hangup';
    const result = await this.room.playTo(participantId, this.local(media));
    const stillHere = this.legs.get(participantId) === leg && !leg.participant.caller.gone;
    // A prompt cut short because the participant left the mix (hung up, kicked) is no failure.
    if (result === 'failed' && stillHere) this.log.warn({ media, participantId }, 'prompt could not be played');
    return stillHere ? 'done' : 'hangup';
  }

  async startMusic(participantId: string): Promise<void> {
    this.get(participantId);
    this.room.startMusic(participantId);
  }

  async stopMusic(participantId: string): Promise<void> {
    if (this.legs.has(participantId)) this.room.stopMusic(participantId);
  }

  async startRecording(target: ports.RecordingTarget): Promise<void> {
    if (this.recording) throw new AppError('already_recording', 'the conference is already being recorded');
    const path = join(this.deps.recordingsDir, `${target.name}.wav`);
    await this.room.startRecording(path);
    this.recording = target.name;
    this.deps.recordings.started({ name: target.name, conferenceNumber: this.spec.number, location: 'local', path, ...partOf(target) });
  }

  /** The engine's recording died with the process that ran it: there is nothing to take over. */
  async adoptRecording(): Promise<boolean> {
    return false;
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
    await Promise.all(this.legs.values().map((leg) => leg.close()));
    this.events.safeEmit('@close');
    this.events.removeAllListeners();
  }
}
