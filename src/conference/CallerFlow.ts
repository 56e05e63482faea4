import type { Logger } from '../lib/logger';
import type { Conference } from './Conference';
import type { Role } from './model';
import { mergeOptions, type ConferenceOptions } from './options';
import { Participant } from './Participant';
import { admission, scheduleState } from './policies';
import type { CallerPort, ConferenceDefinition } from './ports';
import type { PromptSet } from './prompts';
import { parseStasisArgs } from './stasisArgs';

export interface FlowLimits {
  digitTimeoutMs: number;
  pinTries: number;
  confnoTries: number;
}

/** What the caller flow needs from the manager. */
export interface FlowContext {
  prompts: PromptSet;
  limits: FlowLimits;
  nodeId: string;
  now(): number;
  draining(): boolean;
  definition(number: string, callerOptions: ConferenceOptions): ConferenceDefinition | undefined;
  definitionOptions(definition: ConferenceDefinition): ConferenceOptions;
  scheduledEnd(number: string): number | undefined;
  /** The live conference for a number, created on first join. */
  open(definition: ConferenceDefinition): Promise<Conference>;
  takeDialOut(token: string): { number: string; admin: boolean } | undefined;
  /** The first defined conference nobody is in (option `e`). */
  emptyConference(): ConferenceDefinition | undefined;
  /** Whether a conference with this number is running. */
  isLive(number: string): boolean;
  /** Defined in the config or the store, as opposed to made up on first join. */
  isDefined(number: string): boolean;
  /** The PIN the first caller chose for a dynamic conference (option `D`). */
  setDynamicPin(number: string, pin: string): void;
  newParticipantId(): string;
  attachMenus(conference: Conference, participant: Participant): () => void;
}

/** Asks for digits until some arrive, at most `tries` times; '' when the caller gave none or left. */
async function ask(caller: CallerPort, prompt: string, maxDigits: number, ctx: FlowContext): Promise<string> {
  const result = await caller.collect({ prompts: [prompt], maxDigits, terminators: '#', timeoutMs: ctx.limits.digitTimeoutMs });
  return result.reason === 'hangup' ? '' : result.digits;
}

async function chooseConference(
  caller: CallerPort,
  ctx: FlowContext,
  confno: string | undefined,
  options: ConferenceOptions,
): Promise<ConferenceDefinition | undefined> {
  if (confno === undefined && options.empty) {
    const empty = ctx.emptyConference();
    if (empty) {
      await caller.play([ctx.prompts.enteringNo, `digits:${empty.number}`]);
      return empty;
    }
  }
  if (confno !== undefined) {
    const definition = ctx.definition(confno, options);
    if (definition) return definition;
    await caller.play([ctx.prompts.invalid]);
  }
  for (let attempt = 0; attempt < ctx.limits.confnoTries && !caller.gone; attempt++) {
    const number = await ask(caller, ctx.prompts.getConfno, 20, ctx);
    if (caller.gone) return undefined;
    if (!number) continue;
    const definition = ctx.definition(number, options);
    if (definition) return definition;
    await caller.play([ctx.prompts.invalid]);
  }
  return undefined;
}

/** PIN entry: the admin PIN makes the caller an admin. `undefined` after the last wrong try. */
async function checkPin(
  caller: CallerPort,
  ctx: FlowContext,
  definition: ConferenceDefinition,
  options: ConferenceOptions,
): Promise<Role | undefined> {
  const needsPin = definition.pin !== undefined || options.alwaysPin;
  if (!needsPin) return 'user';
  for (let attempt = 0; attempt < ctx.limits.pinTries && !caller.gone; attempt++) {
    const pin = await ask(caller, ctx.prompts.getPin, 12, ctx);
    if (caller.gone) return undefined;
    if (definition.adminPin !== undefined && pin === definition.adminPin) return 'admin';
    if (pin !== '' && (pin === definition.pin || (definition.pin === undefined && definition.adminPin === undefined))) return 'user';
    await caller.play([ctx.prompts.invalidPin]);
  }
  return undefined;
}

async function refuse(caller: CallerPort, prompt: string | undefined): Promise<void> {
  if (prompt && !caller.gone) await caller.play([prompt]);
  await caller.hangup();
}

function countAnnouncement(ctx: FlowContext, others: number, options: ConferenceOptions): string[] {
  if (options.quiet) return [];
  if (others === 0) return options.noOnlyPerson ? [] : [ctx.prompts.onlyPerson];
  if (!options.announceCount) return [];
  return [ctx.prompts.thereAre, `number:${others}`, ctx.prompts.otherInParty];
}

/**
 * One caller, from answer to leaving, as MeetMe does it. Resolves when the caller is done; never rejects.
 * A hangup at any step ends the flow at the next step, and the conference tidies up after itself.
 */
export async function runCallerFlow(caller: CallerPort, stasisArgs: readonly string[], ctx: FlowContext, log: Logger): Promise<void> {
  await caller.answer();
  if (caller.gone) return;
  if (ctx.draining()) return refuse(caller, ctx.prompts.unavailable);
  const args = parseStasisArgs(stasisArgs);
  if (args.optionsError) log.warn({ args: stasisArgs }, `ignoring dialplan options: ${args.optionsError}`);
  const dialOut = args.dialOutToken !== undefined ? ctx.takeDialOut(args.dialOutToken) : undefined;
  const definition = await chooseConference(caller, ctx, dialOut?.number ?? args.confno, args.options);
  if (!definition) return refuse(caller, undefined);
  const options = mergeOptions(ctx.definitionOptions(definition), args.options);
  const schedule = scheduleState(definition.schedule, ctx.now(), ctx.scheduledEnd(definition.number));
  if (schedule.kind !== 'open') {
    log.info({ conference: definition.number, schedule: schedule.kind }, 'caller outside the booked time');
    return refuse(caller, ctx.prompts.notStarted);
  }
  let role: Role | undefined = dialOut ? (dialOut.admin ? 'admin' : 'user') : options.admin ? 'admin' : undefined;
  if (options.dynamicPin && !ctx.isDefined(definition.number) && !ctx.isLive(definition.number)) {
    // The caller who creates a `D` conference chooses its PIN.
    const pin = await ask(caller, ctx.prompts.getPin, 12, ctx);
    if (caller.gone) return;
    if (pin) ctx.setDynamicPin(definition.number, pin);
    role ??= 'user';
  }
  if (role === undefined) role = await checkPin(caller, ctx, definition, options);
  if (caller.gone) return;
  if (role === undefined) return refuse(caller, undefined);
  const participantOptions = role === 'admin' ? mergeOptions(options, { ...options, admin: true }) : options;

  let conference: Conference;
  try {
    conference = await ctx.open(definition);
  } catch (error) {
    log.error({ err: error, conference: definition.number }, 'the conference could not be opened');
    return refuse(caller, undefined);
  }
  const release = conference.reserve();
  const verdict = admission({ locked: conference.locked, full: conference.full() }, role === 'admin');
  if (verdict !== 'ok') {
    log.info({ conference: definition.number, verdict }, 'caller refused');
    await release();
    return refuse(caller, ctx.prompts.locked);
  }
  const participant = new Participant(ctx.newParticipantId(), conference.spec.id, caller, role, participantOptions, ctx.nodeId, ctx.now());
  await join(caller, conference, participant, countAnnouncement(ctx, conference.size, participantOptions), ctx, log, release);
}

/** Announces, joins, and waits until the participant has left the conference. */
export async function join(
  caller: CallerPort,
  conference: Conference,
  participant: Participant,
  announcement: string[],
  ctx: FlowContext,
  log: Logger,
  release: () => Promise<void>,
): Promise<void> {
  // Played while the caller is still outside; the reservation keeps the conference open meanwhile.
  if (announcement.length > 0) await caller.play(announcement);
  if (caller.gone || conference.ended) {
    await release();
    return;
  }
  const left = new Promise<void>((resolve) => {
    const dispose = conference.events.subscribe('event', (event) => {
      if (event.type === 'participant.left' && event.participantId === participant.id) {
        dispose();
        resolve();
      }
    });
    conference.events.once('closed', () => {
      dispose();
      resolve();
    });
  });
  const disposeMenus = ctx.attachMenus(conference, participant);
  const disposeGone = caller.events.subscribe('gone', () => void conference.remove(participant.id, 'hangup'));
  try {
    const joining = conference.join(participant);
    void release();
    await joining;
  } catch (error) {
    log.error({ err: error }, 'joining the conference failed');
    disposeMenus();
    disposeGone();
    await caller.hangup();
    return;
  }
  if (participant.left) {
    disposeMenus();
    disposeGone();
    return;
  }
  await left;
  disposeMenus();
  disposeGone();
}
