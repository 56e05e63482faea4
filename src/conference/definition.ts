/**
 * A conference as an admin defines it, declared once: the config file validates with this schema, the
 * API's JSON Schema is generated from it, the store maps its fields to columns, and the TypeScript
 * type is inferred from it.
 */
import { z } from 'zod';
import type { ErrorCode } from '../lib/errors';
import { mediaSettingsSchema } from './mediaSettings';
import { parseOptions } from './options';

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
