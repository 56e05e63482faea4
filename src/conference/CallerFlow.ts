import { isAppError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { Conference } from './Conference';
import type { Role } from './model';
import { recordName } from './names';
import { mergeOptions, type ConferenceOptions } from './options';
import type { ScheduleState } from './policies';
import type { CallerPort, ClipStore, ConferenceDefinition, MediaUri } from './ports';
import type { PromptSet } from './prompts';
import { parseStasisArgs } from './stasisArgs';

export interface FlowLimits {
  digitTimeoutMs: number;
  pinTries: number;
  confnoTries: number;
}

/** A conference as the caller flow finds it. */
export interface FoundConference {
  definition: ConferenceDefinition;
  /** The definition's own options, parsed. */
  options: ConferenceOptions;
  /** Whether a booked conference takes callers now. */
  schedule: ScheduleState;
  /** Neither defined nor running: with `D` its first caller chooses the PIN. */
  unclaimed: boolean;
  /** The manager's prompts with the definition's own (`callerFlow.prompts`) over them. */
  prompts: PromptSet;
}

export interface DialOutTicket {
  number: string;
  admin: boolean;
}

/** What the caller flow asks of the conferences (the manager implements it). */
export interface ConferencePort {
  /** By number, or the first defined conference nobody is in (option `e`); undefined when there is none to join. */
  lookup(query: { number: string; callerOptions: ConferenceOptions } | { firstEmpty: true }): FoundConference | undefined;
  /** The live conference, created on first join. */
  open(found: FoundConference): Promise<Conference>;
  /** What a dial-out was placed for; each ticket is taken once. */
  takeDialOut(token: string): DialOutTicket | undefined;
  /** The PIN the first caller of a `D` conference chose. */
  setDynamicPin(number: string, pin: string): void;
}

export interface FlowSettings {
  prompts: PromptSet;
  limits: FlowLimits;
  clips?: ClipStore | undefined;
}

/** Answers, plays `prompt` and hangs up: callers the app cannot take now. */
export async function turnAway(caller: CallerPort, prompt: string): Promise<void> {
  await caller.answer();
  await refuse(caller, prompt);
}

async function refuse(caller: CallerPort, prompt?: string): Promise<void> {
  if (prompt && !caller.gone) await caller.play([prompt]);
  await caller.hangup();
}

/**
 * One caller, from answer to leaving, as MeetMe does it: which conference, the booked time, the PIN; then the
 * conference takes over (announcements, menus, leaving). Resolves when the caller is done; never rejects.
 * A hangup at any step ends the flow at the next step.
 */
export class CallerFlow {
  constructor(
    private readonly port: ConferencePort,
    private readonly settings: FlowSettings,
  ) {}

  private get prompts(): PromptSet {
    return this.settings.prompts;
  }

  async run(caller: CallerPort, stasisArgs: readonly string[], log: Logger): Promise<void> {
    await caller.answer();
    if (caller.gone) return;
    const args = parseStasisArgs(stasisArgs);
    if (args.optionsError) log.warn({ args: stasisArgs }, `ignoring dialplan options: ${args.optionsError}`);
    const dialOut = args.dialOutToken !== undefined ? this.port.takeDialOut(args.dialOutToken) : undefined;
    const found = await this.chooseConference(caller, dialOut?.number ?? args.confno, args.options);
    if (!found) return refuse(caller);
    const number = found.definition.number;
    const options = mergeOptions(found.options, args.options);
    const { prompts } = found;
    if (found.schedule.kind !== 'open') {
      log.info({ conference: number, schedule: found.schedule.kind }, 'caller outside the booked time');
      return refuse(caller, prompts.notStarted);
    }
    let role: Role | undefined = dialOut ? (dialOut.admin ? 'admin' : 'user') : options.admin ? 'admin' : undefined;
    if (options.dynamicPin && found.unclaimed) {
      // The caller who creates a `D` conference chooses its PIN.
      const pin = await this.ask(caller, prompts.getPin, 12);
      if (caller.gone) return;
      if (pin) this.port.setDynamicPin(number, pin);
      role ??= 'user';
    }
    if (role === undefined) role = await this.checkPin(caller, found, options);
    if (caller.gone) return;
    if (role === undefined) return refuse(caller);
    const nameClip = await this.recordName(caller, found, options);
    if (caller.gone) return this.discard(nameClip, caller);
    const entry = { role, options: role === 'admin' ? Object.freeze({ ...options, admin: true }) : options, nameClip };
    await this.enter(caller, found, entry, log);
  }

  /** `i`, `I` or the conference's `announceJoinLeave`: the caller records their name, as MeetMe does, before joining. */
  private recordName(caller: CallerPort, found: FoundConference, options: ConferenceOptions): Promise<MediaUri | undefined> {
    const { clips } = this.settings;
    const wanted = options.announceNames || options.announceNamesNoReview || found.definition.callerFlow?.announceJoinLeave === true;
    if (!clips || !wanted || options.quiet) return Promise.resolve(undefined);
    return recordName({
      caller,
      prompts: found.prompts,
      clips,
      number: found.definition.number,
      review: options.announceNames,
      digitTimeoutMs: this.settings.limits.digitTimeoutMs,
    });
  }

  private async discard(clip: MediaUri | undefined, caller: CallerPort): Promise<void> {
    if (clip) await this.settings.clips?.discard(clip.slice('recording:'.length), caller.nodeId).catch(() => undefined);
  }

  /** Joins and stays until the caller has left. A conference that ended between opening and joining is opened anew. */
  private async enter(
    caller: CallerPort,
    found: FoundConference,
    entry: { role: Role; options: ConferenceOptions; nameClip: MediaUri | undefined },
    log: Logger,
  ): Promise<void> {
    const number = found.definition.number;
    const { role, options, nameClip } = entry;
    for (let attempt = 1; ; attempt++) {
      let conference: Conference;
      try {
        conference = await this.port.open(found);
      } catch (error) {
        log.error({ err: error, conference: number }, 'the conference could not be opened');
        await this.discard(nameClip, caller);
        return refuse(caller);
      }
      try {
        const result = await conference.join({ caller, role, options, ...(nameClip ? { nameClip } : {}) });
        if (result.kind === 'refused') {
          log.info({ conference: number, verdict: result.reason }, 'caller refused');
          return refuse(caller, found.prompts.locked);
        }
        return await result.left;
      } catch (error) {
        if (isAppError(error) && error.code === 'conference_ended' && attempt < 2) continue;
        if (caller.gone) log.info({ conference: number }, 'the caller left while joining');
        else log.error({ err: error, conference: number }, 'joining the conference failed');
        return caller.hangup();
      }
    }
  }

  /** Asks for digits; '' when the caller gave none or left. */
  private async ask(caller: CallerPort, prompt: string, maxDigits: number): Promise<string> {
    const result = await caller.collect({ prompts: [prompt], maxDigits, terminators: '#', timeoutMs: this.settings.limits.digitTimeoutMs });
    return result.reason === 'hangup' ? '' : result.digits;
  }

  private async chooseConference(
    caller: CallerPort,
    confno: string | undefined,
    options: ConferenceOptions,
  ): Promise<FoundConference | undefined> {
    if (confno === undefined && options.empty) {
      const empty = this.port.lookup({ firstEmpty: true });
      if (empty) {
        await caller.play([this.prompts.enteringNo, `digits:${empty.definition.number}`]);
        return empty;
      }
    }
    if (confno !== undefined) {
      const found = this.port.lookup({ number: confno, callerOptions: options });
      if (found) return found;
      await caller.play([this.prompts.invalid]);
    }
    for (let attempt = 0; attempt < this.settings.limits.confnoTries && !caller.gone; attempt++) {
      const number = await this.ask(caller, this.prompts.getConfno, 20);
      if (caller.gone) return undefined;
      if (!number) continue;
      const found = this.port.lookup({ number, callerOptions: options });
      if (found) return found;
      await caller.play([this.prompts.invalid]);
    }
    return undefined;
  }

  /** PIN entry: the admin PIN makes the caller an admin. `undefined` after the last wrong try. */
  private async checkPin(caller: CallerPort, found: FoundConference, options: ConferenceOptions): Promise<Role | undefined> {
    const { definition, prompts } = found;
    const needsPin = definition.pin !== undefined || options.alwaysPin;
    if (!needsPin) return 'user';
    for (let attempt = 0; attempt < this.settings.limits.pinTries && !caller.gone; attempt++) {
      const pin = await this.ask(caller, prompts.getPin, 12);
      if (caller.gone) return undefined;
      if (definition.adminPin !== undefined && pin === definition.adminPin) return 'admin';
      if (pin !== '' && (pin === definition.pin || (definition.pin === undefined && definition.adminPin === undefined))) return 'user';
      await caller.play([prompts.invalidPin]);
    }
    return undefined;
  }
}
