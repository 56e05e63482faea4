import { randomUUID } from 'node:crypto';
import type { ClosingEvents } from '../lib/children';
import type { Clock } from '../lib/clock';
import { AppError, errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { TypedEmitter } from '../lib/TypedEmitter';
import { participantNotFound } from './errors';
import type { MenuConfig } from './menus';
import type { ConferenceEvent, ConferenceSnapshot, Role } from './model';
import type { ConferenceOptions } from './options';
import { Member, type Exit } from './Member';
import { Participant } from './Participant';
import { attachParticipantMenu } from './participantMenu';
import { admission, joinAnnouncement, type Admission } from './policies';
import type { CallerPort, ConferenceMedia, GainStep, MediaUri, RecordingPolicy } from './ports';
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
  /** Record each participant's own audio from their join (media.recordParticipants). */
  recordParticipants?: boolean;
}

/** What every conference of one manager shares. */
export interface ConferenceSettings {
  prompts: PromptSet;
  menus: MenuConfig;
  clock: Clock;
}

/** `event` is public; `@close` (the conference is over) is for its owner. */
export interface ConferenceEvents extends ClosingEvents {
  event: [event: ConferenceEvent];
}

export interface JoinRequest {
  caller: CallerPort;
  role: Role;
  options: ConferenceOptions;
  /** A caller of this conference before an app restart: let in whatever the lock and the size say. */
  rejoining?: boolean;
}

export type JoinResult =
  | {
      kind: 'joined';
      participant: Participant;
      /** Resolves once the participant has left and been let go (goodbye prompt played, hung up). */
      left: Promise<void>;
    }
  | { kind: 'refused'; reason: Exclude<Admission, 'ok'> };

interface LeaveOptions {
  hangup?: boolean;
  /** Played on the caller's own channel once they are out of the mix. */
  prompt?: MediaUri;
  /** The backend is gone: it is asked nothing. */
  mediaGone?: boolean;
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
}

/**
 * One live conference: who is in it, and what each of them hears and is heard by.
 * Owns its participants from their join to their last prompt, and uses its media; `end()` is idempotent,
 * `mediaFailed()` is the cascade when the backend dies under it (the backend is asked nothing more).
 * Decisions (membership, counts, who waits, who leaves with the leader) are taken synchronously; the media
 * work they cause runs per participant, side by side, so nobody's prompt holds up anyone else.
 */
export class Conference {
  readonly events = new TypedEmitter<ConferenceEvents>();
  private readonly members = new Map<string, Member>();
  locked = false;
  recording: string | null = null;
  recordingPaused = false;
  private closing = false;
  private ending: Promise<void> | undefined;
  /** Exits still under way (goodbye prompts), so the end waits until everyone is out. */
  private readonly exits = new Set<Promise<void>>();
  /** Tones to everyone under way: one covers callers arriving or leaving together. */
  private readonly tones = new Set<MediaUri>();
  readonly startedAt: number;
  private readonly disposeMedia: () => void;

  constructor(
    readonly spec: ConferenceSpec,
    private readonly media: ConferenceMedia,
    private readonly settings: ConferenceSettings,
    readonly log: Logger,
  ) {
    this.startedAt = settings.clock.now();
    const disposers = [
      media.events.subscribe('talking', (id, talking) => this.onTalking(id, talking)),
      media.events.subscribe('lost', (id, reason) => {
        const member = this.members.get(id);
        if (member) this.leave(member, `media lost: ${reason}`, { hangup: true });
      }),
      media.events.subscribe('failed', (reason) => void this.mediaFailed(reason)),
    ];
    this.disposeMedia = () => disposers.forEach((d) => d());
  }

  private get prompts(): PromptSet {
    return this.settings.prompts;
  }

  get number(): string {
    return this.spec.number;
  }

  /** True from the moment it starts ending. */
  get ended(): boolean {
    return this.closing;
  }

  get size(): number {
    return this.members.size;
  }

  participants(): Participant[] {
    return [...this.members.values()].map((m) => m.participant);
  }

  private member(participantId: string): Member {
    const member = this.members.get(participantId);
    if (!member) throw participantNotFound(this.number, participantId);
    return member;
  }

  get(participantId: string): Participant {
    return this.member(participantId).participant;
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

  /** Queues one of the participant's own sounds (after the ones before it; skipped once they have left). */
  private privately(member: Member, what: string, action: () => Promise<unknown>): Promise<void> {
    return member.privately(() => this.quietly(what, action));
  }

  private tone(media: MediaUri): void {
    if (this.tones.has(media)) return;
    this.tones.add(media);
    void this.quietly('tone', () => this.media.playToAll([media])).finally(() => this.tones.delete(media));
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

  /**
   * Lets a caller in. Admission, the count they are told and their membership are decided at one moment,
   * before anything is awaited, so two callers dialling together are never both told they are alone.
   * Resolves once the caller is in the mix (or refused); their announcement plays on from there.
   */
  async join(request: JoinRequest): Promise<JoinResult> {
    if (this.ended) throw new AppError('conference_ended', `conference ${this.number} has ended`);
    const { caller, role, options } = request;
    const verdict = request.rejoining ? 'ok' : admission({ locked: this.locked, full: this.full() }, role === 'admin');
    if (verdict !== 'ok') return { kind: 'refused', reason: verdict };
    const participant = new Participant(
      `p-${randomUUID()}`,
      this.spec.id,
      caller,
      role,
      options,
      caller.nodeId ?? this.spec.nodeId,
      this.settings.clock.now(),
    );
    const others = this.members.size;
    participant.waiting = options.waitMarked && !options.marked && !this.hasMarked();
    const member = new Member(participant);
    this.members.set(participant.id, member);
    const joined: JoinResult = { kind: 'joined', participant, left: member.left };
    try {
      await this.media.add({ participantId: participant.id, caller });
    } catch (error) {
      member.inMix();
      if (participant.left) return joined;
      this.members.delete(participant.id);
      participant.left = true;
      member.settled();
      if (this.members.size === 0) void this.end('media setup failed');
      throw error;
    }
    if (participant.left) {
      // Let go while the media was being set up (a hangup, a kick, the end): that setup is undone too.
      await this.quietly('leave', () => this.media.remove(participant.id));
      member.inMix();
      return joined;
    }
    if (caller.gone) {
      member.inMix();
      this.leave(member, 'hangup');
      return joined;
    }
    const disposeGone = caller.events.subscribe('gone', (reason) => this.leave(member, reason ?? 'hangup'));
    const disposeMenus = attachParticipantMenu(this, participant, this.settings.menus, this.prompts, this.settings.clock);
    member.dispose = () => {
      disposeGone();
      disposeMenus();
    };
    if (!participant.talks) await this.quietly('mute', () => this.media.setTalk(participant.id, false));
    if (!participant.listens) await this.quietly('talk-only', () => this.media.setListen(participant.id, false));
    member.inMix();
    if (participant.left) return joined;
    member.announced = true;
    this.log.info({ channel: caller.channelId, participant: participant.id, role, marked: participant.marked }, 'participant joined');
    this.emit({ type: 'participant.joined', conferenceId: this.spec.id, number: this.number, participant: participant.snapshot() });
    if (
      others === 0 &&
      this.spec.recording !== 'off' &&
      (this.spec.recordFromStart || options.record || this.spec.recording === 'always')
    ) {
      await this.quietly('recording', () => this.startRecording());
    }
    if (this.spec.recordParticipants && this.spec.recording !== 'off' && !participant.left)
      await this.quietly('participant recording', () => this.startParticipantRecording(participant.id).then(() => undefined));
    const said = request.rejoining ? [] : joinAnnouncement(this.prompts, { others, waiting: participant.waiting, options });
    if (said.length > 0) void this.privately(member, 'announcement', () => this.media.playTo(participant.id, said));
    if (participant.marked) this.releaseWaiting();
    this.refreshMusic();
    if (!options.quiet && this.members.size > 1) this.tone(this.prompts.enterTone);
    return joined;
  }

  /** A marked user arrived: everyone waiting is placed into the conference, all at once. */
  private releaseWaiting(): void {
    const waiting = [...this.members.values()].filter((m) => m.participant.waiting);
    for (const m of waiting) m.participant.waiting = false;
    this.refreshMusic();
    for (const m of waiting) {
      const p = m.participant;
      if (!p.options.quiet) void this.privately(m, 'prompt', () => this.media.playTo(p.id, [this.prompts.placeIntoConf]));
      void this.privately(m, 'unmute', async () => {
        if (p.talks) await this.media.setTalk(p.id, true);
      });
    }
  }

  /** Music for whoever is alone with `M`, or waiting for the leader; stopped for everyone else. */
  private refreshMusic(): void {
    const alone = this.members.size === 1;
    for (const m of this.members.values()) {
      const p = m.participant;
      const want = p.waiting || (alone && p.options.moh);
      if (want === p.hearingMusic) continue;
      p.hearingMusic = want;
      void this.privately(m, 'music', () => (want ? this.media.startMusic(p.id) : this.media.stopMusic(p.id)));
    }
  }

  private onTalking(participantId: string, talking: boolean): void {
    const p = this.members.get(participantId)?.participant;
    if (!p || p.talking === talking) return;
    p.talking = talking;
    this.emit({ type: 'participant.talking', conferenceId: this.spec.id, number: this.number, participantId, talking });
  }

  /**
   * Takes a participant out: at once out of the membership, and out of the mix as fast as the media goes; then
   * the goodbye prompt on their own channel and the hangup. Idempotent. Applies `x` (leave with the last marked
   * user, all together) and `k` (close when one is left).
   */
  private leave(member: Member, reason: string, how: LeaveOptions = {}): Exit {
    if (member.exit) return member.exit;
    const p = member.participant;
    p.left = true;
    this.members.delete(p.id);
    member.dispose();
    // Their own recording ends with their leg (the backend finishes the file when they leave the mix).
    const recording = p.recording;
    p.recording = null;
    if (recording)
      this.emit({ type: 'recording.stopped', conferenceId: this.spec.id, number: this.number, name: recording, participantId: p.id });
    const prompt = how.prompt && !p.caller.gone ? how.prompt : undefined;
    const remove = (): Promise<void> => (how.mediaGone ? Promise.resolve() : this.quietly('leave', () => this.media.remove(p.id)));
    let outOfMix: Promise<void>;
    let done: Promise<void>;
    if (prompt && p.caller.media && !how.mediaGone) {
      // A caller with direct media (a browser) has no channel to hear a prompt on: their voice leaves the mix at
      // once and the goodbye plays through their leg, which replaces the conference for them; then they go.
      outOfMix = this.quietly('mute', () => this.media.setTalk(p.id, false));
      done = (async () => {
        await outOfMix;
        await this.quietly('prompt', () => this.media.playTo(p.id, [prompt]));
        await remove();
        if (how.hangup) await this.quietly('hangup', () => p.caller.hangup());
      })();
    } else {
      outOfMix = remove();
      done = (async () => {
        await outOfMix;
        if (prompt) await this.quietly('prompt', () => p.caller.play([prompt]));
        if (how.hangup) await this.quietly('hangup', () => p.caller.hangup());
      })();
    }
    member.exit = { outOfMix, done };
    this.exits.add(done);
    void done.finally(() => {
      this.exits.delete(done);
      member.settled();
    });
    if (member.announced) {
      this.log.info({ channel: p.caller.channelId, participant: p.id, role: p.role, reason }, 'participant left');
      this.emit({ type: 'participant.left', conferenceId: this.spec.id, number: this.number, participantId: p.id, reason });
    }
    if (!this.ended) this.afterLeaving(p);
    return member.exit;
  }

  private afterLeaving(p: Participant): void {
    if (this.members.size === 0) {
      void this.end('empty');
      return;
    }
    if (p.marked && !this.hasMarked()) {
      for (const m of [...this.members.values()].filter((m) => m.participant.options.endMarked))
        this.leave(m, 'leader left', { hangup: true, prompt: this.prompts.leaderHasLeft });
      if (this.ended) return;
    }
    if (p.options.closeLast && this.members.size === 1) {
      void this.end('only one participant left');
      return;
    }
    this.refreshMusic();
    if (!p.options.quiet) this.tone(this.prompts.leaveTone);
  }

  /** Takes a participant out; resolves once they are out of the mix. No-op for someone not (or no longer) in. */
  async remove(participantId: string, reason: string, options: { hangup?: boolean; prompt?: MediaUri } = {}): Promise<void> {
    const member = this.members.get(participantId);
    if (member) await this.leave(member, reason, options).outOfMix;
  }

  /** Plays to one participant (they do not hear the conference meanwhile), after their own sounds before it. */
  async prompt(participantId: string, media: MediaUri[]): Promise<void> {
    const member = this.member(participantId);
    await this.privately(member, 'prompt', () => this.media.playTo(participantId, media));
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
    if (announce) await this.prompt(p.id, [muted ? this.prompts.muted : this.prompts.unmuted]);
  }

  async setAllMuted(muted: boolean): Promise<void> {
    const targets = this.participants().filter((m) => !m.admin && !(m.options.listenOnly && !muted));
    await Promise.all(targets.map((p) => this.setMuted(p.id, muted)));
  }

  /** Resolves once the participant is out of the mix; `conf-kicked` and the hangup follow on their channel. */
  async kick(participantId: string): Promise<void> {
    await this.leave(this.member(participantId), 'kicked', { hangup: true, prompt: this.prompts.kicked }).outOfMix;
  }

  async kickLast(): Promise<void> {
    const last = this.participants()
      .filter((p) => !p.admin)
      .sort((a, b) => b.joinedAt - a.joinedAt)[0];
    if (!last) throw new AppError('participant_not_found', `nobody to kick in conference ${this.number}`);
    await this.kick(last.id);
  }

  /** Everyone who is not an admin, together. */
  async kickAll(): Promise<void> {
    await Promise.all(
      this.participants()
        .filter((m) => !m.admin)
        .map((p) => this.kick(p.id)),
    );
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
    const name = `meetme-${this.number}-${stamp(this.settings.clock.now())}`;
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

  /** With `mediaGone` the recording already ended with the backend: it is only said. */
  async stopRecording(mediaGone = false): Promise<void> {
    const name = this.recording;
    if (!name) throw new AppError('not_recording', `conference ${this.number} is not being recorded`);
    this.recording = null;
    this.recordingPaused = false;
    if (!mediaGone) await this.media.stopRecording();
    this.emit({ type: 'recording.stopped', conferenceId: this.spec.id, number: this.number, name });
  }

  /** One participant's own audio to its own file, for speech-to-text; it ends when they leave. */
  async startParticipantRecording(participantId: string): Promise<string> {
    if (this.spec.recording === 'off')
      throw new AppError('recording_disabled', `conference ${this.number} is never recorded (recording: off)`);
    const p = this.get(participantId);
    if (p.recording) throw new AppError('already_recording', `participant ${participantId} is already being recorded`);
    const name = `meetme-${this.number}-${stamp(this.settings.clock.now())}-${participantId}`;
    await this.media.startParticipantRecording(participantId, { name });
    if (p.left) return name;
    p.recording = name;
    this.emit({ type: 'recording.started', conferenceId: this.spec.id, number: this.number, name, participantId });
    return name;
  }

  async stopParticipantRecording(participantId: string): Promise<void> {
    const p = this.get(participantId);
    const name = p.recording;
    if (!name) throw new AppError('not_recording', `participant ${participantId} is not being recorded`);
    p.recording = null;
    await this.media.stopParticipantRecording(participantId);
    this.emit({ type: 'recording.stopped', conferenceId: this.spec.id, number: this.number, name, participantId });
  }

  async play(media: MediaUri[], participantId?: string): Promise<void> {
    if (participantId !== undefined) await this.prompt(participantId, media);
    else await this.media.playToAll(media);
  }

  /** Ends the conference: recording stopped, everyone let go and hung up, media closed. Idempotent. */
  end(reason: string): Promise<void> {
    return this.finish(reason, false);
  }

  /** The backend died under us (bridge destroyed, Asterisk gone): callers are let go, the backend is asked nothing. */
  mediaFailed(reason: string): Promise<void> {
    if (!this.closing) this.log.error({ reason }, 'conference media failed');
    return this.finish(`media failed: ${reason}`, true);
  }

  private finish(reason: string, mediaGone: boolean): Promise<void> {
    if (!this.ending) {
      // Set before anything runs: the last participant's leaving must not end the conference a second time.
      this.closing = true;
      this.ending = this.wrapUp(reason, mediaGone);
    }
    return this.ending;
  }

  private async wrapUp(reason: string, mediaGone: boolean): Promise<void> {
    this.disposeMedia();
    if (this.recording) await this.quietly('stop recording', () => this.stopRecording(mediaGone));
    for (const m of [...this.members.values()]) this.leave(m, reason, { hangup: true, mediaGone });
    // Everyone out first: a goodbye to a caller with direct media plays through the mix.
    await Promise.all([...this.exits]);
    if (!mediaGone) await this.quietly('close media', () => this.media.close());
    this.emit({ type: 'conference.ended', conferenceId: this.spec.id, number: this.number, reason });
    this.events.safeEmit('@close');
    this.events.removeAllListeners();
  }
}
