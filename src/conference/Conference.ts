import type { Clock } from '../lib/clock';
import { AppError, errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { TypedEmitter } from '../lib/TypedEmitter';
import { participantNotFound } from './errors';
import type { ConferenceEvent, ConferenceSnapshot } from './model';
import type { Participant } from './Participant';
import type { ConferenceMedia, GainStep, MediaUri, RecordingPolicy } from './ports';
import type { PromptSet } from './prompts';

export interface ConferenceSpec {
  id: string;
  number: string;
  name: string;
  nodeId: string;
  maxMembers: number | null;
  recording: RecordingPolicy;
  /** Record from the start (option `r`). */
  recordFromStart: boolean;
}

export interface ConferenceEvents {
  event: [event: ConferenceEvent];
  /** The conference is over; the manager forgets it. */
  closed: [];
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/**
 * One live conference: who is in it, and what each of them hears and is heard by.
 * Owns its participants and its media; `end()` is idempotent, `mediaFailed()` is the cascade
 * when the backend dies under it.
 */
export class Conference {
  readonly events = new TypedEmitter<ConferenceEvents>();
  private readonly members = new Map<string, Participant>();
  locked = false;
  recording: string | null = null;
  recordingPaused = false;
  private closed = false;
  /** Callers admitted but still hearing announcements: the conference must not end under them. */
  private arriving = 0;
  readonly startedAt: number;
  private readonly disposeMedia: () => void;

  constructor(
    readonly spec: ConferenceSpec,
    readonly media: ConferenceMedia,
    private readonly prompts: PromptSet,
    private readonly clock: Clock,
    readonly log: Logger,
  ) {
    this.startedAt = clock.now();
    const disposers = [
      media.events.subscribe('talking', (id, talking) => this.onTalking(id, talking)),
      media.events.subscribe('lost', (id, reason) => void this.remove(id, `media lost: ${reason}`, { hangup: true })),
      media.events.subscribe('failed', (reason) => void this.mediaFailed(reason)),
    ];
    this.disposeMedia = () => disposers.forEach((d) => d());
  }

  get number(): string {
    return this.spec.number;
  }

  get ended(): boolean {
    return this.closed;
  }

  get size(): number {
    return this.members.size;
  }

  participants(): Participant[] {
    return [...this.members.values()];
  }

  get(participantId: string): Participant {
    const participant = this.members.get(participantId);
    if (!participant) throw participantNotFound(this.number, participantId);
    return participant;
  }

  private emit(event: ConferenceEvent): void {
    this.events.safeEmit('event', event);
  }

  /** Runs a media action whose failure must not stop the conference (a caller that just left, say). */
  private async quietly(what: string, action: () => Promise<unknown>): Promise<void> {
    try {
      await action();
    } catch (error) {
      this.log.warn({ err: errorMessage(error) }, `${what} failed`);
    }
  }

  snapshot(): ConferenceSnapshot {
    return {
      id: this.spec.id,
      number: this.number,
      name: this.spec.name,
      locked: this.locked,
      recording: this.recording,
      mixer: this.media.kind,
      nodeId: this.spec.nodeId,
      startedAt: new Date(this.startedAt).toISOString(),
      maxMembers: this.spec.maxMembers,
      participants: this.participants().map((p) => p.snapshot()),
    };
  }

  full(): boolean {
    return this.spec.maxMembers !== null && this.members.size >= this.spec.maxMembers;
  }

  hasMarked(): boolean {
    return this.participants().some((p) => p.marked);
  }

  /** Holds the conference open for a caller on the way in; the returned function lets go. */
  reserve(): () => Promise<void> {
    this.arriving++;
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      this.arriving--;
      if (this.members.size === 0 && this.arriving === 0) await this.end('nobody joined');
    };
  }

  /** Puts a caller into the mix. Announcements were played by the caller flow before this. */
  async join(participant: Participant): Promise<void> {
    if (this.closed) throw new AppError('conference_ended', `conference ${this.number} has ended`);
    const first = this.members.size === 0;
    participant.waiting = participant.options.waitMarked && !participant.marked && !this.hasMarked();
    this.members.set(participant.id, participant);
    try {
      await this.media.add({ participantId: participant.id, caller: participant.caller });
    } catch (error) {
      this.members.delete(participant.id);
      participant.left = true;
      if (this.members.size === 0) await this.end('media setup failed');
      throw error;
    }
    if (participant.caller.gone || participant.left) {
      await this.remove(participant.id, 'hangup');
      return;
    }
    if (!participant.talks) await this.quietly('mute', () => this.media.setTalk(participant.id, false));
    if (!participant.listens) await this.quietly('talk-only', () => this.media.setListen(participant.id, false));
    this.emit({ type: 'participant.joined', conferenceId: this.spec.id, number: this.number, participant: participant.snapshot() });
    if (
      first &&
      this.spec.recording !== 'off' &&
      (this.spec.recordFromStart || participant.options.record || this.spec.recording === 'always')
    ) {
      await this.quietly('recording', () => this.startRecording());
    }
    if (participant.marked) await this.releaseWaiting();
    if (participant.waiting) await this.quietly('prompt', () => this.media.playTo(participant.id, [this.prompts.waitForLeader]));
    await this.refreshMusic();
    if (!participant.options.quiet && this.members.size > 1)
      await this.quietly('join tone', () => this.media.playToAll([this.prompts.enterTone]));
  }

  /** A marked user arrived: waiting participants are placed into the conference. */
  private async releaseWaiting(): Promise<void> {
    for (const p of this.participants().filter((m) => m.waiting)) {
      p.waiting = false;
      await this.refreshMusic();
      await this.quietly('prompt', () => this.media.playTo(p.id, [this.prompts.placeIntoConf]));
      if (p.talks) await this.quietly('unmute', () => this.media.setTalk(p.id, true));
    }
  }

  /** Music for whoever is alone with `M`, or waiting for the leader; stopped for everyone else. */
  private async refreshMusic(): Promise<void> {
    const alone = this.members.size === 1;
    for (const p of this.participants()) {
      const want = p.waiting || (alone && p.options.moh);
      if (want === p.hearingMusic) continue;
      p.hearingMusic = want;
      await this.quietly('music', () => (want ? this.media.startMusic(p.id) : this.media.stopMusic(p.id)));
    }
  }

  private onTalking(participantId: string, talking: boolean): void {
    const p = this.members.get(participantId);
    if (!p || p.talking === talking) return;
    p.talking = talking;
    this.emit({ type: 'participant.talking', conferenceId: this.spec.id, number: this.number, participantId, talking });
  }

  /**
   * Takes a participant out (hung up, left, kicked). Idempotent. With `hangup` the caller's channel
   * is hung up too. Applies `x` (end with the last marked user) and `k` (close when one is left).
   */
  async remove(participantId: string, reason: string, options: { hangup?: boolean; prompt?: MediaUri } = {}): Promise<void> {
    const p = this.members.get(participantId);
    if (!p || p.left) return;
    p.left = true;
    if (options.prompt && !p.caller.gone)
      await this.quietly('prompt', () => this.media.playTo(participantId, [options.prompt as MediaUri]));
    this.members.delete(participantId);
    await this.quietly('leave', () => this.media.remove(participantId));
    if (options.hangup) await this.quietly('hangup', () => p.caller.hangup());
    this.emit({ type: 'participant.left', conferenceId: this.spec.id, number: this.number, participantId, reason });
    if (this.closed) return;
    if (this.members.size === 0 && this.arriving === 0) {
      await this.end('empty');
      return;
    }
    if (p.marked && !this.hasMarked()) {
      const leaving = this.participants().filter((m) => m.options.endMarked);
      for (const m of leaving) await this.remove(m.id, 'leader left', { hangup: true, prompt: this.prompts.leaderHasLeft });
      if (this.closed) return;
    }
    if (p.options.closeLast && this.members.size === 1) {
      await this.end('only one participant left');
      return;
    }
    await this.refreshMusic();
    if (!p.options.quiet) await this.quietly('leave tone', () => this.media.playToAll([this.prompts.leaveTone]));
  }

  async setMuted(participantId: string, muted: boolean, announce = false): Promise<void> {
    const p = this.get(participantId);
    if (!muted && p.options.listenOnly) throw new AppError('listen_only', 'a listen-only participant cannot be unmuted');
    if (p.muted === muted) return;
    p.muted = muted;
    await this.media.setTalk(p.id, p.talks);
    this.emit({
      type: muted ? 'participant.muted' : 'participant.unmuted',
      conferenceId: this.spec.id,
      number: this.number,
      participantId,
    });
    if (announce) await this.quietly('prompt', () => this.media.playTo(p.id, [muted ? this.prompts.muted : this.prompts.unmuted]));
  }

  async setAllMuted(muted: boolean): Promise<void> {
    for (const p of this.participants().filter((m) => !m.admin && !(m.options.listenOnly && !muted))) {
      await this.setMuted(p.id, muted);
    }
  }

  async kick(participantId: string): Promise<void> {
    this.get(participantId);
    await this.remove(participantId, 'kicked', { hangup: true, prompt: this.prompts.kicked });
  }

  async kickLast(): Promise<void> {
    const last = this.participants()
      .filter((p) => !p.admin)
      .sort((a, b) => b.joinedAt - a.joinedAt)[0];
    if (!last) throw new AppError('participant_not_found', `nobody to kick in conference ${this.number}`);
    await this.kick(last.id);
  }

  async kickAll(): Promise<void> {
    for (const p of this.participants().filter((m) => !m.admin)) await this.kick(p.id);
  }

  setLocked(locked: boolean): void {
    if (this.locked === locked) return;
    this.locked = locked;
    this.emit({ type: locked ? 'conference.locked' : 'conference.unlocked', conferenceId: this.spec.id, number: this.number });
  }

  async setGain(participantId: string, gain: { talk?: GainStep; listen?: GainStep }): Promise<void> {
    const p = this.get(participantId);
    // State first: menu presses arrive faster than the media answers, and each step builds on the last.
    if (gain.talk !== undefined) p.talkGain = gain.talk;
    if (gain.listen !== undefined) p.listenGain = gain.listen;
    await this.media.setGain(participantId, gain);
  }

  async startRecording(): Promise<string> {
    if (this.spec.recording === 'off')
      throw new AppError('recording_disabled', `conference ${this.number} is never recorded (recording: off)`);
    if (this.recording) throw new AppError('already_recording', `conference ${this.number} is already being recorded`);
    const name = `meetme-${this.number}-${stamp(this.clock.now())}`;
    await this.media.startRecording({ name });
    this.recording = name;
    this.emit({ type: 'recording.started', conferenceId: this.spec.id, number: this.number, name });
    return name;
  }

  async pauseRecording(paused: boolean): Promise<void> {
    const name = this.recording;
    if (!name) throw new AppError('not_recording', `conference ${this.number} is not being recorded`);
    if (this.recordingPaused === paused) return;
    await this.media.pauseRecording(paused);
    this.recordingPaused = paused;
    this.emit({ type: paused ? 'recording.paused' : 'recording.resumed', conferenceId: this.spec.id, number: this.number, name });
  }

  async stopRecording(): Promise<void> {
    const name = this.recording;
    if (!name) throw new AppError('not_recording', `conference ${this.number} is not being recorded`);
    this.recording = null;
    this.recordingPaused = false;
    await this.media.stopRecording();
    this.emit({ type: 'recording.stopped', conferenceId: this.spec.id, number: this.number, name });
  }

  async play(media: MediaUri[], participantId?: string): Promise<void> {
    if (participantId !== undefined) {
      this.get(participantId);
      await this.media.playTo(participantId, media);
    } else await this.media.playToAll(media);
  }

  /** Ends the conference: recording stopped, everyone hung up, media closed. Idempotent. */
  async end(reason: string): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.recording) await this.quietly('stop recording', () => this.stopRecording());
    for (const p of this.participants()) await this.remove(p.id, reason, { hangup: true });
    this.disposeMedia();
    await this.quietly('close media', () => this.media.close());
    this.emit({ type: 'conference.ended', conferenceId: this.spec.id, number: this.number, reason });
    this.events.safeEmit('closed');
    this.events.removeAllListeners();
  }

  /** The backend died under us (bridge destroyed, Asterisk gone): end without asking it anything more. */
  async mediaFailed(reason: string): Promise<void> {
    this.log.error({ reason }, 'conference media failed');
    await this.end(`media failed: ${reason}`);
  }
}
