import { randomUUID } from 'node:crypto';
import { Children } from '../lib/children';
import type { Clock } from '../lib/clock';
import { Bookings } from './Bookings';
import { AppError, errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { TypedEmitter } from '../lib/TypedEmitter';
import { CallerFlow, turnAway, type ConferencePort, type DialOutTicket, type FlowLimits, type FoundConference } from './CallerFlow';
import { Conference, type ConferenceSettings } from './Conference';
import { CONFERENCE_NUMBER } from './definition';
import type { ConferenceControl, DialOutRequest } from './control';
import { conferenceNotFound } from './errors';
import { DEFAULT_MENUS, type MenuConfig } from './menus';
import type { ConferenceEvent, ConferenceSnapshot, Role } from './model';
import { kickAll, kickLast, setAllMuted } from './moderation';
import { mergeOptions, NO_OPTIONS, parseOptions, type ConferenceOptions } from './options';
import type { RejoinState } from './membership';
import { scheduleState } from './policies';
import type {
  CallerPort,
  ClipStore,
  ConferenceDefinition,
  ConferenceDirectory,
  ConferenceMedia,
  Dialer,
  GainStep,
  MediaUri,
  MixerBackend,
  MixerKind,
} from './ports';
import { DEFAULT_PROMPTS, promptsFrom, type PromptSet } from './prompts';
import { dialOutArgs } from './stasisArgs';

export interface ConferenceManagerOptions {
  nodeId: string;
  directory: ConferenceDirectory;
  backends: Partial<Record<MixerKind, MixerBackend>>;
  /** A kind, or asked at each open (`auto`: the app decides from what Asterisk has). */
  defaultMixer: MixerKind | (() => MixerKind);
  dynamic: { enabled: boolean; options: string };
  dialer: Dialer;
  clock: Clock;
  logger: Logger;
  limits: FlowLimits & { maxMembersDefault?: number | undefined };
  prompts?: Partial<PromptSet>;
  menus?: MenuConfig;
  /** Keeps callers' recorded names for the call; without it `i`, `I` and `announceJoinLeave` record nothing. */
  clips?: ClipStore;
}

/**
 * Owns the live conferences of one node (a conference leaves on its own `@close`); the surface moderators use
 * (ConferenceControl) and the one the caller flow uses (ConferencePort).
 */
export class ConferenceManager implements ConferenceControl, ConferencePort {
  readonly events = new TypedEmitter<{ event: [ConferenceEvent] }>();
  private readonly conferences = new Children<string, Conference>();
  private readonly opening = new Map<string, Promise<Conference>>();
  private readonly dialOuts = new Map<string, DialOutTicket>();
  private readonly bookings: Bookings;
  private readonly dynamicPins = new Map<string, string>();
  private readonly visits = new Set<Promise<void>>();
  private readonly idleWaiters = new Set<() => void>();
  /** What every conference shares; each one adds its definition's own (`callerFlow`). */
  private readonly settings: Omit<ConferenceSettings, 'flow'>;
  private readonly flow: CallerFlow;
  private isDraining = false;
  /** Set by shutdown: no conference opens any more, or shutdown would never see it end. */
  private stopping = false;
  private nextId = 1;
  private readonly log: Logger;

  constructor(private readonly options: ConferenceManagerOptions) {
    this.settings = {
      prompts: { ...DEFAULT_PROMPTS, ...options.prompts },
      menus: options.menus ?? DEFAULT_MENUS,
      clock: options.clock,
      clips: options.clips,
    };
    this.bookings = new Bookings(options.clock);
    this.flow = new CallerFlow(this, { prompts: this.settings.prompts, limits: options.limits, clips: options.clips });
    this.log = options.logger;
  }

  /** The prompts callers hear (the defaults with the config file's `prompts:` over them). */
  get prompts(): Readonly<PromptSet> {
    return this.settings.prompts;
  }

  get draining(): boolean {
    return this.isDraining;
  }

  /** New callers hear `unavailable` and are hung up; conferences in progress go on. */
  drain(): void {
    this.isDraining = true;
  }

  get participantCount(): number {
    let n = 0;
    for (const c of this.conferences.values()) n += c.size;
    return n;
  }

  private track(visit: Promise<void>): Promise<void> {
    this.visits.add(visit);
    void visit.finally(() => this.visits.delete(visit));
    return visit;
  }

  /** A caller who may not come in (their Asterisk server is draining) hears `unavailable` and is hung up. */
  turnAway(caller: CallerPort): Promise<void> {
    return this.track(turnAway(caller, this.settings.prompts.unavailable).catch(() => caller.hangup().catch(() => undefined)));
  }

  /** Runs one caller's whole visit; resolves when they are done and never rejects. */
  handleCaller(caller: CallerPort, stasisArgs: readonly string[]): Promise<void> {
    const log = this.log.child({ channel: caller.channelId });
    const visit = this.isDraining ? turnAway(caller, this.settings.prompts.unavailable) : this.flow.run(caller, stasisArgs, log);
    return this.track(
      visit.catch(async (error: unknown) => {
        log.error({ err: errorMessage(error) }, 'caller flow failed');
        await caller.hangup().catch(() => undefined);
      }),
    );
  }

  /**
   * A caller who comes with a join link (a browser) for `number`. A link that stands for the PIN admits as
   * a dial-out does; otherwise the caller flow asks for the PIN as it would on a phone.
   */
  admit(caller: CallerPort, number: string, link: { pinIncluded: boolean; admin: boolean }): Promise<void> {
    if (!link.pinIncluded) return this.handleCaller(caller, [number]);
    const token = randomUUID();
    this.dialOuts.set(token, { number, admin: link.admin });
    return this.handleCaller(caller, dialOutArgs(number, link.admin ? 'a' : '', token)).finally(() => this.dialOuts.delete(token));
  }

  /**
   * After an app restart: puts a caller found in one of our old bridges back, without prompts. Resolves once the
   * caller is in; `visit` resolves when they have left, as `handleCaller` does.
   */
  async adopt(
    number: string,
    caller: CallerPort,
    state: { role?: Role; marked?: boolean; muted?: boolean; callerOptions?: ConferenceOptions; resume?: RejoinState } = {},
  ): Promise<{ visit: Promise<void> }> {
    const callerOptions = state.callerOptions ?? NO_OPTIONS;
    const found = this.lookup({ number, callerOptions }) ?? this.found({ number, name: number, options: '' });
    // The caller's own options (music when alone, wait for the leader...) as their Stasis arguments gave them.
    const merged = mergeOptions(found.options, callerOptions);
    const options = { ...merged, quiet: true, marked: state.marked ?? false, muted: state.muted ?? false };
    const conference = await this.open(found);
    const result = await conference.join({
      caller,
      role: state.role ?? 'user',
      options,
      rejoining: true,
      ...(state.resume ? { resume: state.resume } : {}),
    });
    if (result.kind === 'refused') throw new AppError('conference_ended', `conference ${number} refused a caller it had`);
    return { visit: this.track(result.left) };
  }

  lookup(query: { number: string; callerOptions: ConferenceOptions } | { firstEmpty: true }): FoundConference | undefined {
    const definition =
      'firstEmpty' in query
        ? this.options.directory.list().find((d) => (this.conferences.get(d.number)?.size ?? 0) === 0)
        : this.definition(query.number, query.callerOptions);
    return definition ? this.found(definition) : undefined;
  }

  private found(definition: ConferenceDefinition): FoundConference {
    const { number } = definition;
    return {
      definition,
      options: this.definitionOptions(definition),
      prompts: { ...this.settings.prompts, ...promptsFrom(definition.callerFlow?.prompts) },
      schedule: scheduleState(definition.schedule, this.options.clock.now(), this.bookings.extendedEnd(number)),
      unclaimed: this.options.directory.lookup(number) === undefined && !this.conferences.has(number),
    };
  }

  takeDialOut(token: string): DialOutTicket | undefined {
    const ticket = this.dialOuts.get(token);
    this.dialOuts.delete(token);
    return ticket;
  }

  setDynamicPin(number: string, pin: string): void {
    this.dynamicPins.set(number, pin);
  }

  private definition(number: string, callerOptions: ConferenceOptions): ConferenceDefinition | undefined {
    if (!CONFERENCE_NUMBER.test(number)) return undefined;
    const found = this.options.directory.lookup(number);
    if (found) return found;
    const pin = this.dynamicPins.get(number);
    const dynamic = { number, name: number, options: this.options.dynamic.options, ...(pin !== undefined ? { pin } : {}) };
    const live = this.conferences.get(number);
    if (live) return { ...dynamic, name: live.spec.name };
    if (this.options.dynamic.enabled || callerOptions.dynamic || callerOptions.dynamicPin) return dynamic;
    return undefined;
  }

  private definitionOptions(definition: ConferenceDefinition): ConferenceOptions {
    try {
      return parseOptions(definition.options);
    } catch (error) {
      this.log.warn({ conference: definition.number }, `ignoring conference options: ${errorMessage(error)}`);
      return NO_OPTIONS;
    }
  }

  /** The mixer for a definition: its own choice, else the default; the other one when that cannot mix. */
  private pickBackend(definition: ConferenceDefinition): MixerBackend {
    const fallback = this.options.defaultMixer;
    const wanted = definition.mixer ?? (typeof fallback === 'function' ? fallback() : fallback);
    const first = this.options.backends[wanted];
    const firstState = first?.availability();
    if (first && firstState?.ok) return first;
    const otherKind: MixerKind = wanted === 'app' ? 'asterisk' : 'app';
    const other = this.options.backends[otherKind];
    const reason = firstState?.reason ?? `mixer "${wanted}" is not configured`;
    if (other?.availability().ok) {
      this.log.warn({ conference: definition.number, wanted, using: otherKind }, `mixer "${wanted}" cannot be used: ${reason}`);
      return other;
    }
    throw new AppError('mixer_unavailable', `conference ${definition.number} cannot be mixed: ${reason}`);
  }

  open(found: FoundConference): Promise<Conference> {
    const { definition } = found;
    if (this.stopping)
      return Promise.reject(new AppError('conference_ended', `shutting down: conference ${definition.number} is not opened`));
    const live = this.conferences.get(definition.number);
    if (live && !live.ended) return Promise.resolve(live);
    const pending = this.opening.get(definition.number);
    if (pending) return pending;
    const opening = this.create(found).finally(() => this.opening.delete(definition.number));
    this.opening.set(definition.number, opening);
    return opening;
  }

  private async create(found: FoundConference): Promise<Conference> {
    const { definition } = found;
    const backend = this.pickBackend(definition);
    const id = `${this.options.nodeId}:${definition.number}:${this.nextId++}`;
    const media: ConferenceMedia = await backend.open({
      conferenceId: id,
      number: definition.number,
      nodeId: this.options.nodeId,
      ...(definition.media ? { media: definition.media } : {}),
    });
    const conference = new Conference(
      {
        id,
        number: definition.number,
        name: definition.name,
        nodeId: this.options.nodeId,
        maxMembers: definition.maxMembers ?? this.options.limits.maxMembersDefault ?? null,
        recording: definition.recording ?? 'on-demand',
        recordFromStart: found.options.record,
        recordParticipants: definition.media?.recordParticipants ?? false,
      },
      media,
      { ...this.settings, prompts: found.prompts, flow: definition.callerFlow ?? {} },
      this.log.child({ conference: definition.number }),
    );
    conference.events.on('event', (event) => this.events.safeEmit('event', event));
    this.conferences.add(definition.number, conference, () => {
      this.dynamicPins.delete(definition.number);
      this.bookings.clear(definition.number);
      if (this.conferences.size === 0) for (const wake of [...this.idleWaiters]) wake();
    });
    this.bookings.arm(conference, definition.schedule);
    this.events.safeEmit('event', { type: 'conference.started', conference: conference.snapshot() });
    return conference;
  }

  /** Moves a booked conference's end later. */
  async extend(number: string, minutes: number): Promise<void> {
    const conference = this.conference(number);
    const definition = this.options.directory.lookup(number);
    if (!definition?.schedule) throw new AppError('not_scheduled', `conference ${number} has no schedule`);
    this.bookings.extend(conference, definition.schedule, minutes);
  }

  private conference(number: string): Conference {
    const conference = this.conferences.get(number);
    if (!conference || conference.ended) throw conferenceNotFound(number);
    return conference;
  }

  list(): ConferenceSnapshot[] {
    return this.conferences
      .values()
      .filter((c) => !c.ended)
      .map((c) => c.snapshot());
  }

  get(number: string): ConferenceSnapshot {
    return this.conference(number).snapshot();
  }

  setMuted(number: string, participantId: string, muted: boolean): Promise<void> {
    return this.conference(number).setMuted(participantId, muted);
  }

  setAllMuted(number: string, muted: boolean): Promise<void> {
    return setAllMuted(this.conference(number), muted);
  }

  kick(number: string, participantId: string): Promise<void> {
    return this.conference(number).kick(participantId);
  }

  kickLast(number: string): Promise<void> {
    return kickLast(this.conference(number));
  }

  kickAll(number: string): Promise<void> {
    return kickAll(this.conference(number));
  }

  async setLocked(number: string, locked: boolean): Promise<void> {
    this.conference(number).setLocked(locked);
  }

  startRecording(number: string): Promise<string> {
    return this.conference(number).recording.start();
  }

  stopRecording(number: string): Promise<void> {
    return this.conference(number).recording.stop();
  }

  pauseRecording(number: string, paused: boolean): Promise<void> {
    return this.conference(number).recording.pause(paused);
  }

  startParticipantRecording(number: string, participantId: string): Promise<string> {
    return this.conference(number).startParticipantRecording(participantId);
  }

  stopParticipantRecording(number: string, participantId: string): Promise<void> {
    return this.conference(number).stopParticipantRecording(participantId);
  }

  play(number: string, media: MediaUri[], participantId?: string): Promise<void> {
    return this.conference(number).play(media, participantId);
  }

  async setGain(number: string, participantId: string, gain: { talk?: GainStep; listen?: GainStep }): Promise<void> {
    for (const value of [gain.talk, gain.listen]) {
      if (value !== undefined && (!Number.isInteger(value) || value < -4 || value > 4)) {
        throw new AppError('invalid_gain', 'gain steps run from -4 to 4');
      }
    }
    return this.conference(number).setGain(participantId, gain);
  }

  end(number: string, reason = 'ended by a moderator'): Promise<void> {
    return this.conference(number).end(reason);
  }

  /** Calls an endpoint; when it answers it joins `number` without the PIN. */
  async dialOut(number: string, request: DialOutRequest): Promise<{ channelId: string }> {
    if (!this.conferences.has(number) && !this.options.directory.lookup(number)) throw conferenceNotFound(number);
    const token = randomUUID();
    this.dialOuts.set(token, { number, admin: request.admin ?? false });
    try {
      return await this.options.dialer.originate({
        endpoint: request.endpoint,
        appArgs: dialOutArgs(number, request.admin ? 'aA' : '', token),
        ...(request.callerId !== undefined ? { callerId: request.callerId } : {}),
        ...(request.timeoutSeconds !== undefined ? { timeoutSeconds: request.timeoutSeconds } : {}),
      });
    } catch (error) {
      this.dialOuts.delete(token);
      throw error;
    }
  }

  /** Ends every conference and waits for every caller's visit to finish. */
  async shutdown(reason: string): Promise<void> {
    this.isDraining = true;
    this.stopping = true;
    // A caller whose join raced the end would open the conference anew: conferences still opening end too.
    await Promise.allSettled([...this.opening.values()]);
    await Promise.all(this.conferences.values().map((c) => c.end(reason)));
    await Promise.all([...this.visits]);
  }

  /** Resolves true once no conference is live, or false after `timeoutMs` on the injected clock. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.conferences.size === 0) return Promise.resolve(true);
    const { clock } = this.options;
    return new Promise<boolean>((resolve) => {
      const finish = (idle: boolean): void => {
        clock.clearTimeout(timer);
        this.idleWaiters.delete(wake);
        resolve(idle);
      };
      const wake = (): void => finish(true);
      const timer = clock.setTimeout(() => finish(false), timeoutMs);
      this.idleWaiters.add(wake);
    });
  }
}
