/**
 * A conference as an admin defines it, declared once: the config file validates with this schema, the
 * API's JSON Schema is generated from it, the store maps its fields to columns, and the TypeScript
 * type is inferred from it.
 */
import { z } from 'zod';
import type { ErrorCode } from '../lib/errors';
import { mediaSettingsSchema } from './mediaSettings';
import { parseOptions } from './options';
import { promptOverrides, soundName } from './prompts';

/** What callers dial and the API names: 1-20 digits. */
export const CONFERENCE_NUMBER = /^[0-9]{1,20}$/;

export const MIXER_KINDS = ['app', 'asterisk'] as const;
export type MixerKind = (typeof MIXER_KINDS)[number];

export const RECORDING_POLICIES = ['off', 'always', 'on-demand'] as const;
export type RecordingPolicy = (typeof RECORDING_POLICIES)[number];

export const conferenceNumber = z.string().regex(CONFERENCE_NUMBER, 'a conference number is 1-20 digits');
const pin = z.string().regex(/^[0-9]{1,12}$/, 'a PIN is 1-12 digits');
const instant = z.iso.datetime({ offset: true });

export const scheduleSchema = z.strictObject({
  /** ISO 8601 instants. */
  start: instant,
  end: instant,
  earlyJoinMinutes: z.number().int().min(0).max(1440).default(10),
  /** Minutes before `end` at which participants hear a warning. */
  endWarningsMinutes: z.array(z.number().int().min(1).max(120)).max(5).default([]),
});

/** ConfBridge's announcement settings and MeetMe's channel variables, per conference (the caller flow). */
export const callerFlowSchema = z.strictObject({
  /** ConfBridge `announce_join_leave`: every caller records their name on entry, said to the others on join and leave. */
  announceJoinLeave: z.boolean().optional(),
  /** ConfBridge `announce_user_count_all`: everyone hears the count when someone joins. */
  announceUserCountAll: z.boolean().optional(),
  /** ConfBridge `hear_own_join_sound` (default true): the caller who joins hears the join tone too. */
  hearOwnJoinSound: z.boolean().optional(),
  /** ConfBridge `sound_*`: prompt name -> sound, over the config file's `prompts:`. */
  prompts: promptOverrides.optional(),
  /** MeetMe `CONF_LIMIT_WARNING_FILE`: the `L` warning instead of "you have N minutes". */
  limitWarningSound: soundName.optional(),
  /** MeetMe `CONF_LIMIT_TIMEOUT_FILE`: played when the `L` limit is reached. */
  limitTimeoutSound: soundName.optional(),
  /** MeetMe `MEETME_EXIT_CONTEXT` for `X` (default: the caller's own context). */
  exitContext: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,80}$/, 'a dialplan context name')
    .optional(),
  /** `X`: the digits with an extension in the exit context (ARI cannot look into the dialplan); default 0-9. */
  exitDigits: z
    .string()
    .regex(/^[0-9*#]{1,12}$/, 'exit digits are DTMF digits')
    .optional(),
});

export type CallerFlowSettings = z.output<typeof callerFlowSchema>;

/** Everything but the number: what `PUT /definitions/{number}` takes. */
export const definitionFieldsSchema = z.strictObject({
  name: z.string().min(1).max(100),
  pin: pin.optional(),
  adminPin: pin.optional(),
  /** MeetMe option letters and/or named flags, as accepted by `parseOptions`. */
  options: z.string().max(200).default(''),
  maxMembers: z.number().int().min(1).max(10000).optional(),
  mixer: z.enum(MIXER_KINDS).optional(),
  recording: z.enum(RECORDING_POLICIES).optional(),
  schedule: scheduleSchema.optional(),
  callerFlow: callerFlowSchema.optional(),
  /** Talk detection, energy level, auto-gain, denoise, per-participant recording, wideband (the app mixer). */
  media: mediaSettingsSchema.optional(),
});

export const definitionSchema = definitionFieldsSchema.extend({ number: conferenceNumber });

export type ConferenceSchedule = z.output<typeof scheduleSchema>;

export type ConferenceDefinition = z.output<typeof definitionSchema> & {
  /** True for definitions from the config file (read-only in the API). */
  static?: boolean;
};

export interface DefinitionProblem {
  code: ErrorCode;
  field: string;
  message: string;
}

/** What a schema cannot say: options MeetMe knows, and a schedule that ends after it starts. */
export function definitionProblems(definition: {
  options?: string;
  schedule?: { start: string; end: string } | undefined;
}): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  try {
    parseOptions(definition.options ?? '');
  } catch (error) {
    problems.push({ code: 'invalid_options', field: 'options', message: error instanceof Error ? error.message : String(error) });
  }
  const schedule = definition.schedule;
  if (schedule) {
    const start = Date.parse(schedule.start);
    const end = Date.parse(schedule.end);
    if (Number.isNaN(start)) problems.push({ code: 'invalid_schedule', field: 'schedule.start', message: 'schedule.start is not a date' });
    else if (Number.isNaN(end) || end <= start)
      problems.push({ code: 'invalid_schedule', field: 'schedule.end', message: 'schedule.end must come after schedule.start' });
  }
  return problems;
}
