import type * as ports from '../conference/ports';
import { AppError } from '../lib/errors';
import { TypedEmitter } from '../lib/TypedEmitter';

export interface PlacementDeps {
  /** The Asterisk-mixer backend of a node, while the app drives it. */
  backend(nodeId: string): ports.MixerBackend | undefined;
  /** Every node's backend, for availability. */
  backends(): ports.MixerBackend[];
  /** Sends a caller to the node that holds their conference; false when that cannot be done. */
  move(caller: ports.CallerPort, toNode: string, number: string): Promise<boolean>;
}

/**
 * The Asterisk mixer over several nodes: a conference is one bridge on one node, the node its first caller came in
 * on. A caller on another node is moved there (never a second bridge with the same number: two half-conferences).
 */
export class PlacedMixer implements ports.MixerBackend {
  readonly kind = 'asterisk' as const;
  private readonly homes = new Map<string, PlacedMedia>();

  constructor(private readonly deps: PlacementDeps) {}

  availability(): ports.MixerAvailability {
    const states = this.deps.backends().map((b) => b.availability());
    return states.find((s) => s.ok) ?? states[0] ?? { ok: false, reason: 'no Asterisk node is connected' };
  }

  async open(spec: ports.ConferenceMediaSpec): Promise<ports.ConferenceMedia> {
    const media = new PlacedMedia(this.deps, spec);
    this.homes.set(spec.number, media);
    media.events.once('closed', () => {
      if (this.homes.get(spec.number) === media) this.homes.delete(spec.number);
    });
    return media;
  }

  /** The node an Asterisk-mixed conference's bridge is on, if it has one now. */
  homeOf(number: string): string | undefined {
    return this.homes.get(number)?.home;
  }
}

/** One conference's bridge, made on the node of its first participant; everything else is that bridge's. */
class PlacedMedia implements ports.ConferenceMedia {
  readonly kind = 'asterisk' as const;
  readonly events = new TypedEmitter<ports.ConferenceMediaEvents & { closed: [] }>();
  private inner: Promise<ports.ConferenceMedia> | undefined;
  private placed: ports.ConferenceMedia | undefined;
  private node: string | undefined;
  private closed = false;

  constructor(
    private readonly deps: PlacementDeps,
    private readonly spec: ports.ConferenceMediaSpec,
  ) {}

  get home(): string | undefined {
    return this.node;
  }

  private place(nodeId: string): Promise<ports.ConferenceMedia> {
    if (this.inner) return this.inner;
    const backend = this.deps.backend(nodeId);
    if (!backend) return Promise.reject(new AppError('mixer_unavailable', `node ${nodeId} is not connected`));
    this.node = nodeId;
    this.inner = backend.open({ ...this.spec, nodeId }).then(
      (media) => {
        this.placed = media;
        media.events.subscribe('talking', (id, talking) => this.events.safeEmit('talking', id, talking));
        media.events.subscribe('lost', (id, reason) => this.events.safeEmit('lost', id, reason));
        media.events.subscribe('failed', (reason) => this.events.safeEmit('failed', reason));
        media.events.subscribe('recordingLost', (id) => this.events.safeEmit('recordingLost', id));
        if (this.closed) void media.close();
        return media;
      },
      (error: unknown) => {
        this.inner = undefined;
        this.node = undefined;
        throw error;
      },
    );
    return this.inner;
  }

  private get media(): ports.ConferenceMedia {
    if (!this.placed) throw new AppError('participant_not_found', `conference ${this.spec.number} has no participant yet`);
    return this.placed;
  }

  async add(participant: ports.MediaParticipant): Promise<void> {
    const { caller } = participant;
    const nodeId = caller.nodeId ?? this.spec.nodeId;
    const home = this.node ?? nodeId;
    if (home !== nodeId) {
      // Asked to join a bridge on another Asterisk: moved there, or told it cannot be done (the flow plays it).
      const moved = await this.deps.move(caller, home, this.spec.number);
      throw new AppError(
        'wrong_node',
        moved
          ? `conference ${this.spec.number} lives on node ${home}: the caller was sent there`
          : `conference ${this.spec.number} lives on node ${home} and the caller could not be moved there`,
        { moved },
      );
    }
    await (await this.place(nodeId)).add(participant);
  }

  async remove(participantId: string): Promise<void> {
    await this.placed?.remove(participantId);
  }

  setTalk(participantId: string, enabled: boolean): Promise<void> {
    return this.media.setTalk(participantId, enabled);
  }

  setListen(participantId: string, enabled: boolean): Promise<void> {
    return this.media.setListen(participantId, enabled);
  }

  setGain(participantId: string, gain: { talk?: ports.GainStep; listen?: ports.GainStep }): Promise<void> {
    return this.media.setGain(participantId, gain);
  }

  async playToAll(media: ports.MediaUri[]): Promise<void> {
    await this.placed?.playToAll(media);
  }

  playTo(participantId: string, media: ports.MediaUri[]): Promise<ports.PromptEnd> {
    return this.media.playTo(participantId, media);
  }

  startMusic(participantId: string): Promise<void> {
    return this.media.startMusic(participantId);
  }

  async stopMusic(participantId: string): Promise<void> {
    await this.placed?.stopMusic(participantId);
  }

  startRecording(target: ports.RecordingTarget): Promise<void> {
    return this.media.startRecording(target);
  }

  async adoptRecording(target: ports.RecordingTarget, paused: boolean): Promise<boolean> {
    return (await this.placed?.adoptRecording(target, paused)) ?? false;
  }

  async stopRecording(): Promise<void> {
    await this.placed?.stopRecording();
  }

  async pauseRecording(paused: boolean): Promise<void> {
    await this.placed?.pauseRecording(paused);
  }

  startParticipantRecording(participantId: string, target: ports.RecordingTarget): Promise<void> {
    return this.media.startParticipantRecording(participantId, target);
  }

  async stopParticipantRecording(participantId: string): Promise<void> {
    await this.placed?.stopParticipantRecording(participantId);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.events.safeEmit('closed');
    await this.placed?.close();
  }
}
