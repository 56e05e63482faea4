import { randomUUID } from 'node:crypto';
import { AppError, errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { TypedEmitter } from '../lib/TypedEmitter';
import { Announcer } from './announcements';
import { depart, type LeaveOptions } from './departure';
import { connectMedia, initialMix } from './joining';
import type { ConferenceEvent, ConferenceSnapshot } from './model';
import { Member, type Exit } from './Member';
import { Participant } from './Participant';
import { Roster } from './Roster';
import { watchMember } from './participantMenu';
import { admission, joinAnnouncement, recordsFromStart } from './policies';
import type { ConferenceMedia, GainStep, MediaUri } from './ports';
import type { PromptSet } from './prompts';
import { ConferenceRecording } from './recording';
import { refreshMusic, releaseWaiting } from './waiting';
import type { ConferenceEvents, ConferenceSettings, ConferenceSpec, JoinRequest, JoinResult } from './membership';

export type { ConferenceSettings, ConferenceSpec, JoinRequest, JoinResult } from './membership';

/**
 * One live conference: who is in it, and what each of them hears and is heard by.
 * Owns its participants from their join to their last prompt, and uses its media; `end()` is idempotent,
 * `mediaFailed()` is the cascade when the backend dies under it (the backend is asked nothing more).
 * Decisions (membership, counts, who waits, who leaves with the leader) are taken synchronously; the media
 * work they cause runs per participant, side by side, so nobody's prompt holds up anyone else.
 */
export class Conference {
  readonly events = new TypedEmitter<ConferenceEvents>();
  private readonly members: Roster;
  locked = false;
  /** The recording of the mix. */
  readonly recording: ConferenceRecording;
  private readonly announcer: Announcer;
  private closing = false;
  private ending: Promise<void> | undefined;
  /** Exits still under way (goodbye prompts), so the end waits until everyone is out. */
  private readonly exits = new Set<Promise<void>>();
  readonly startedAt: number;
  private readonly disposeMedia: () => void;

  constructor(
    readonly spec: ConferenceSpec,
    private readonly media: ConferenceMedia,
    private readonly settings: ConferenceSettings,
    readonly log: Logger,
  ) {
    this.startedAt = settings.clock.now();
    this.members = new Roster(spec.number);
    this.recording = new ConferenceRecording({ id: spec.id, number: spec.number, policy: spec.recording }, media, settings.clock, (event) =>
      this.emit(event),
    );
    const { prompts, flow, clips } = settings;
    const { privately, quietly } = this;
    this.announcer = new Announcer({ media, prompts, flow, clips, members: () => this.members.all(), privately, quietly });
    const disposers = [
      media.events.subscribe('talking', (id, talking) => this.onTalking(id, talking)),
      media.events.subscribe('lost', (id, reason) => {
        const member = this.members.find(id);
        if (member) this.leave(member, `media lost: ${reason}`, { hangup: true });
      }),
      media.events.subscribe('failed', (reason) => void this.mediaFailed(reason)),
      media.events.subscribe('recordingLost', (id) => {
        const p = id === undefined ? undefined : this.members.find(id)?.participant;
        void this.quietly('continuing a recording', () => (p ? this.recording.participantLost(p) : this.recording.lost()));
      }),
    ];
    this.disposeMedia = () => disposers.forEach((d) => d());
  }

  get prompts(): PromptSet {
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
    return this.members.participants();
  }

  get(participantId: string): Participant {
    return this.members.member(participantId).participant;
  }

  private emit(event: ConferenceEvent): void {
    this.events.safeEmit('event', event);
  }

  /** Runs a media action whose failure must not stop the conference (a caller that just left, say). */
  private readonly quietly = async (what: string, action: () => Promise<unknown>): Promise<void> => {
    try {
      await action();
    } catch (error) {
      this.log.warn({ err: errorMessage(error) }, `${what} failed`);
    }
  };

  snapshot(): ConferenceSnapshot {
    return {
      id: this.spec.id,
      number: this.number,
      name: this.spec.name,
      locked: this.locked,
      recording: this.recording.name,
      recordingPaused: this.recording.paused,
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

  /**
   * Lets a caller in. Admission, the count they are told and their membership are decided at one moment,
   * before anything is awaited, so two callers dialling together are never both told they are alone.
   * Resolves once the caller is in the mix (or refused); their announcement plays on from there.
   */
  async join(request: JoinRequest): Promise<JoinResult> {
    if (this.ended) throw new AppError('conference_ended', `conference ${this.number} has ended`);
    const { caller, role, options } = request;
    const verdict = request.rejoining ? 'ok' : admission({ locked: this.locked, full: this.full() }, role === 'admin');
    if (verdict !== 'ok') {
      if (request.nameClip) await this.announcer.discard(request.nameClip, caller.nodeId);
      return { kind: 'refused', reason: verdict };
    }
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
    participant.waiting = options.waitMarked && !options.marked && !this.members.hasMarked();
    if (request.nameClip) participant.nameClip = request.nameClip;
    const member = new Member(participant);
    this.members.add(member);
    const joined: JoinResult = { kind: 'joined', participant, left: member.left };
    let connected: 'in' | 'let go' | 'gone';
    try {
      connected = await connectMedia(member, this.media, this.quietly);
    } catch (error) {
      this.members.delete(participant.id);
      participant.left = true;
      member.settled();
      if (participant.nameClip) void this.announcer.discard(participant.nameClip, caller.nodeId);
      if (this.members.size === 0) void this.end('media setup failed');
      throw error;
    }
    if (connected === 'gone') this.leave(member, 'hangup');
    if (connected !== 'in') return joined;
    member.dispose = watchMember(this, participant, this.settings, {
      gone: (reason) => void this.leave(member, reason ?? 'hangup'),
      warn: (said) => void this.privately(member, 'time warning', () => this.media.playTo(participant.id, said)),
      expire: (prompt) => this.leave(member, 'time limit', { ...this.exitFor(participant), ...(prompt ? { prompt } : {}) }),
    });
    await initialMix(member, this.media, this.quietly);
    const { resume } = request;
    const gain = { ...(resume?.talkGain ? { talk: resume.talkGain } : {}), ...(resume?.listenGain ? { listen: resume.listenGain } : {}) };
    if (gain.talk !== undefined || gain.listen !== undefined) await this.quietly('gain', () => this.setGain(participant.id, gain, false));
    member.inMix();
    if (participant.left) return joined;
    member.announced = true;
    this.log.info({ channel: caller.channelId, participant: participant.id, role, marked: participant.marked }, 'participant joined');
    this.emit({ type: 'participant.joined', conferenceId: this.spec.id, number: this.number, participant: participant.snapshot() });
    const previous = resume?.recording;
    // A recording running before a takeover goes on in its next part, before any new one could start.
    if (previous && !this.recording.name) await this.quietly('recording', () => this.recording.continue(previous));
    else if (others === 0 && !this.recording.name && recordsFromStart(this.spec, options))
      await this.quietly('recording', () => this.recording.start());
    const own = resume?.ownRecording;
    if ((own || this.spec.recordParticipants) && this.spec.recording !== 'off' && !participant.left)
      await this.quietly('participant recording', () => this.recording.startParticipant(participant, own).then(() => undefined));
    const said = request.rejoining ? [] : joinAnnouncement(this.prompts, { others, waiting: participant.waiting, options });
    if (said.length > 0) void this.privately(member, 'announcement', () => this.media.playTo(participant.id, said));
    if (participant.marked) releaseWaiting(this.members.all(), this.media, this.prompts, this.privately);
    this.refreshMusic();
    if (!request.rejoining) this.announcer.joined(member);
    return joined;
  }

  private readonly privately = (member: Member, what: string, action: () => Promise<unknown>): Promise<void> =>
    member.privately(() => this.quietly(what, action));

  private refreshMusic(): void {
    refreshMusic(this.members.all(), this.media, this.privately);
  }

  /** How a caller goes when out of time or the leader left (`x`): back to the dialplan with `C`, else hung up. */
  private exitFor(p: Participant): LeaveOptions {
    return p.options.kickContinue ? { continueTo: {} } : { hangup: true };
  }

  private onTalking(participantId: string, talking: boolean): void {
    const p = this.members.find(participantId)?.participant;
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
    this.recording.participantLeft(p);
    const exit = depart(p, this.media, how, this.quietly);
    member.exit = exit;
    this.exits.add(exit.done);
    void exit.done.finally(() => {
      this.exits.delete(exit.done);
      member.settled();
    });
    if (member.announced) {
      this.log.info({ channel: p.caller.channelId, participant: p.id, role: p.role, reason }, 'participant left');
      this.emit({ type: 'participant.left', conferenceId: this.spec.id, number: this.number, participantId: p.id, reason });
    }
    if (!this.ended) this.afterLeaving(p);
    this.announcer.left(member, !this.ended && this.members.size > 0);
    return exit;
  }

  private afterLeaving(p: Participant): void {
    if (this.members.size === 0) {
      void this.end('empty');
      return;
    }
    if (p.marked && !this.members.hasMarked()) {
      for (const m of this.members.all().filter((m) => m.participant.options.endMarked))
        this.leave(m, 'leader left', { ...this.exitFor(m.participant), prompt: this.prompts.leaderHasLeft });
      if (this.ended) return;
    }
    if (p.options.closeLast && this.members.size === 1) {
      // app_meetme flags the one left ADMINFLAG_HANGUP, on which conf_run returns 0: on in the dialplan.
      void this.finish('only one participant left', false, { continueTo: {} });
      return;
    }
    this.refreshMusic();
  }

  /** Takes a participant out; resolves once they are out of the mix. No-op for someone not (or no longer) in. */
  async remove(participantId: string, reason: string, options: LeaveOptions = {}): Promise<void> {
    const member = this.members.find(participantId);
    if (member) await this.leave(member, reason, options).outOfMix;
  }

  /** Plays to one participant (they do not hear the conference meanwhile), after their own sounds before it. */
  async prompt(participantId: string, media: MediaUri[]): Promise<void> {
    const member = this.members.member(participantId);
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

  /**
   * Resolves once the participant is out of the mix; `conf-kicked` follows on their channel, then the dialplan's
   * next priority: app_meetme's conf_run returns 0 on a kick whatever `C` says (`C` came for `x`, then `L`).
   */
  async kick(participantId: string): Promise<void> {
    const member = this.members.member(participantId);
    await this.leave(member, 'kicked', { continueTo: {}, prompt: this.prompts.kicked }).outOfMix;
  }

  setLocked(locked: boolean): void {
    if (this.locked === locked) return;
    this.locked = locked;
    this.emit({ type: locked ? 'conference.locked' : 'conference.unlocked', conferenceId: this.spec.id, number: this.number });
  }

  async setGain(participantId: string, gain: { talk?: GainStep; listen?: GainStep }, say = true): Promise<void> {
    const p = this.get(participantId);
    // State first: menu presses arrive faster than the media answers, and each step builds on the last.
    if (gain.talk !== undefined) p.talkGain = gain.talk;
    if (gain.listen !== undefined) p.listenGain = gain.listen;
    await this.media.setGain(participantId, gain);
    const { talkGain, listenGain } = p;
    if (say) this.emit({ type: 'participant.gain', conferenceId: this.spec.id, number: this.number, participantId, talkGain, listenGain });
  }

  /** One participant's own audio to its own file, for speech-to-text; it ends when they leave. */
  startParticipantRecording(participantId: string): Promise<string> {
    return this.recording.startParticipant(this.get(participantId));
  }

  stopParticipantRecording(participantId: string): Promise<void> {
    return this.recording.stopParticipant(this.get(participantId));
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

  private finish(reason: string, mediaGone: boolean, letGo: LeaveOptions = { hangup: true }): Promise<void> {
    if (!this.ending) {
      // Set before anything runs: the last participant's leaving must not end the conference a second time.
      this.closing = true;
      this.ending = this.wrapUp(reason, mediaGone, letGo);
    }
    return this.ending;
  }

  private async wrapUp(reason: string, mediaGone: boolean, letGo: LeaveOptions): Promise<void> {
    this.disposeMedia();
    if (this.recording.name) await this.quietly('stop recording', () => this.recording.stop(mediaGone));
    for (const m of this.members.all()) this.leave(m, reason, { ...letGo, mediaGone });
    // Everyone out first: a goodbye to a caller with direct media plays through the mix.
    await Promise.all([...this.exits]);
    if (!mediaGone) await this.quietly('close media', () => this.media.close());
    this.emit({ type: 'conference.ended', conferenceId: this.spec.id, number: this.number, reason });
    this.events.safeEmit('@close');
    this.events.removeAllListeners();
  }
}
