import { z } from 'zod';
import { conferenceNumber, definitionProblems, definitionSchema, MIXER_KINDS } from '../conference/definition';
import { PROMPT_NAMES } from '../conference/prompts';

/** Config-file conferences: the API's definition, with the name defaulting to the number. */
const conferenceSchema = definitionSchema.extend({ name: definitionSchema.shape.name.optional() }).superRefine((definition, ctx) => {
  for (const problem of definitionProblems(definition))
    ctx.addIssue({ code: 'custom', path: problem.field.split('.'), message: problem.message });
});

const apiKeySchema = z.strictObject({
  name: z.string().min(1),
  key: z.string().min(16, 'API keys must be at least 16 characters'),
  role: z.enum(['admin', 'moderator', 'viewer']),
  /** For moderators: the conferences they may control. */
  conferences: z.array(conferenceNumber).optional(),
});

const menuAction = z.enum([
  'toggleMute',
  'listenDown',
  'listenUp',
  'talkDown',
  'talkUp',
  'leave',
  'toggleLock',
  'kickLast',
  'kickAll',
  'muteAll',
  'toggleRecording',
]);
/**
 * `prompts:` prompt name -> sound, as ConfBridge's `sound_*` options: a sound name as Asterisk plays it
 * (`custom/welcome`, no extension), found in `media.soundsDir` for the app mixer. Unknown prompt names are errors.
 */
const prompts = z.partialRecord(
  z.enum(PROMPT_NAMES),
  z
    .string()
    .max(100)
    .regex(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, 'a sound name such as custom/welcome (letters, digits, _ - and /, no extension)')
    .transform((name) => `sound:${name}`),
);

const menu = z.record(z.string().regex(/^[0-9#*]{1,4}$/, 'menu keys are 1-4 DTMF digits'), menuAction);

export const configSchema = z.strictObject({
  ari: z
    .strictObject({
      url: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8088'),
      username: z.string().min(1).default('asterisk'),
      password: z.string().min(1).default('asterisk'),
      app: z
        .string()
        .regex(/^[A-Za-z0-9_.-]+$/, 'app must be a plain Stasis application name')
        .default('meetme'),
      /** Names the Asterisk server; every conference carries it so several servers can share one API. */
      nodeId: z.string().min(1).default('asterisk-1'),
      requestTimeoutMs: z.number().int().min(100).max(60000).default(5000),
    })
    .prefault({}),
  http: z
    .strictObject({
      /** REST API, event stream, console, /healthz, /readyz and /metrics. */
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8090),
      bodyLimitBytes: z.number().int().min(1024).max(10485760).default(65536),
    })
    .prefault({}),
  store: z
    .strictObject({
      /** SQLite file: conference definitions, schedules and the recordings index. `:memory:` keeps nothing. */
      path: z.string().min(1).default('data/ari-meetme.sqlite'),
    })
    .prefault({}),
  mixer: z
    .strictObject({
      /** `app`: our media engine (no Asterisk timer needed); `asterisk`: an ARI mixing bridge. */
      default: z.enum(MIXER_KINDS).default('app'),
    })
    .prefault({}),
  media: z
    .strictObject({
      bindAddress: z.string().min(1).default('127.0.0.1'),
      /** The address Asterisk sends RTP to (externalMedia `external_host`); defaults to bindAddress. */
      advertiseAddress: z.string().min(1).optional(),
      /** The first media thread's UDP port; thread i listens on port + i (0: each picks a free port). */
      port: z.number().int().min(0).max(65535).default(40000),
      /** Media threads for the app mixer, each with its own RTP port and clock. Default: one per core, at most 8. */
      threads: z.number().int().min(1).max(32).optional(),
      /**
       * How long before each tick a media thread stops taking other work and waits for it, so a burst of
       * packets or a GC pause does not make the mix late. 0 turns it off.
       */
      tickLeadMs: z.number().min(0).max(8).default(3),
      soundsDir: z.string().min(1).default('/usr/share/asterisk/sounds/en'),
      musicDir: z.string().min(1).default('/usr/share/asterisk/moh'),
    })
    .prefault({}),
  recordings: z
    .strictObject({
      /** Where the app mixer writes conference recordings (WAV). Asterisk-mixed ones stay in Asterisk's recording spool. */
      dir: z.string().min(1).default('recordings'),
    })
    .prefault({}),
  dynamic: z
    .strictObject({
      enabled: z.boolean().default(true),
      options: z.string().max(200).default(''),
    })
    .prefault({}),
  limits: z
    .strictObject({
      digitTimeoutMs: z.number().int().min(500).max(60000).default(5000),
      pinTries: z.number().int().min(1).max(10).default(3),
      confnoTries: z.number().int().min(1).max(10).default(3),
      maxMembersDefault: z.number().int().positive().optional(),
    })
    .prefault({}),
  /** DTMF menus after `*`; each replaces the default table for that role. */
  menus: z
    .strictObject({
      user: menu.optional(),
      admin: menu.optional(),
      timeoutMs: z.number().int().min(500).max(30000).optional(),
    })
    .prefault({}),
  prompts: prompts.default({}),
  shutdown: z
    .strictObject({
      drainTimeoutMs: z.number().int().min(0).default(30000),
    })
    .prefault({}),
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).prefault({}),
  conferences: z.array(conferenceSchema).default([]),
  apiKeys: z.array(apiKeySchema).default([]),
});

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type StaticConference = z.output<typeof conferenceSchema>;
export type ApiKeyConfig = z.output<typeof apiKeySchema>;
