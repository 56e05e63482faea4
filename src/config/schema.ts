import { z } from 'zod';
import { conferenceNumber, definitionProblems, definitionSchema, MIXER_KINDS } from '../conference/definition';
import { MENU_ACTIONS } from '../conference/menus';
import { PROMPT_NAMES, soundName } from '../conference/prompts';

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

const menuAction = z.enum(MENU_ACTIONS);
/**
 * `prompts:` prompt name -> sound, as ConfBridge's `sound_*` options: a sound name as Asterisk plays it
 * (`custom/welcome`, no extension), found in `media.soundsDir` for the app mixer. Unknown prompt names are errors.
 */
const prompts = z.partialRecord(
  z.enum(PROMPT_NAMES),
  soundName.transform((name) => `sound:${name}`),
);

const menu = z.record(z.string().regex(/^[0-9#*]{1,4}$/, 'menu keys are 1-4 DTMF digits'), menuAction);

const capacitySchema = z
  .strictObject({
    /** Days of per-minute usage kept (8 weeks); a year of one scope (the service, or a node) takes about 1.7 MB. */
    retentionDays: z.number().int().min(7).max(1830).default(56),
    /**
     * Participants one node carries. Set it from the whole-system benchmark for your node size; the default is a
     * conservative guess for a 2-core node (the engine alone mixes 2,460 per core, Asterisk costs more).
     */
    nodeCapacity: z.number().int().min(1).max(1000000).default(500),
    /** Share of each node kept free: nodes are planned for nodeCapacity x (1 - headroom). */
    headroom: z.number().min(0).max(0.9).default(0.2),
    /** Nodes are asked for this long before the forecast rise. */
    leadMinutes: z.number().int().min(0).max(720).default(30),
    minNodes: z.number().int().min(1).max(10000).default(1),
    maxNodes: z.number().int().min(1).max(10000).optional(),
    /** Weeks of history each forecast looks back over (same slot of the same weekday). */
    weeks: z.number().int().min(1).max(12).default(4),
    /** Expected participants of a booked conference without maxMembers. */
    bookedParticipants: z.number().int().min(0).max(100000).default(10),
    /** Run at each planned action with the desired node count: a shell command or a webhook (POST JSON). */
    hook: z
      .union([
        z.strictObject({ command: z.string().min(1), timeoutMs: z.number().int().min(100).max(600000).default(60000) }),
        z.strictObject({ url: z.url({ protocol: /^https?$/ }), timeoutMs: z.number().int().min(100).max(600000).default(60000) }),
      ])
      .optional(),
  })
  .refine((c) => c.maxNodes === undefined || c.maxNodes >= c.minNodes, {
    path: ['maxNodes'],
    message: 'maxNodes must be at least minNodes',
  });

/** One Asterisk server among several (`nodes:`). */
const nodeSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'node ids are letters, digits, _ . and -'),
  url: z.url({ protocol: /^https?$/ }),
  username: z.string().min(1).default('asterisk'),
  password: z.string().min(1).default('asterisk'),
  /** The address this node's Asterisk sends the app mixer's RTP and SIP legs to; default media.advertiseAddress. */
  mediaAddress: z.string().min(1).optional(),
  /**
   * Where a caller is sent when an Asterisk-mixed conference lives on this node (ARI redirect): a SIP URI with
   * `{number}` for the conference number, e.g. `sip:{number}@10.0.0.11:5060`. Unset: such callers hear `unavailable`.
   */
  redirectUri: z
    .string()
    .regex(/^sips?:[^\s]+$/, 'redirectUri is a SIP URI such as sip:{number}@10.0.0.11:5060')
    .optional(),
});

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
      /** REST connections to Asterisk at most; requests beyond wait. Keep it, plus 1 for the events socket, under http.conf `sessionlimit`. */
      maxConnections: z.number().int().min(1).max(1000).default(20),
      /**
       * A node whose events socket stays down this long is lost: its callers leave their conferences (the others go
       * on) and it is recovered like a fresh start when it comes back. Shorter drops are reconciled without that.
       */
      downAfterMs: z.number().int().min(1000).max(600000).default(10000),
    })
    .prefault({}),
  /**
   * Several Asterisk servers under this one app (README: Several Asterisk servers). Empty: the one server `ari:`
   * names. Each node shares `ari.app`, `ari.requestTimeoutMs`, `ari.maxConnections` and `ari.downAfterMs`.
   */
  nodes: z
    .array(nodeSchema)
    .default([])
    .superRefine((nodes, ctx) => {
      const seen = new Set<string>();
      nodes.forEach((node, i) => {
        if (seen.has(node.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `node id ${node.id} is used twice` });
        seen.add(node.id);
      });
    }),
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
      /** `postgres://…`: several instances share definitions, schedules and the recordings index there (path then unused). */
      url: z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'a postgres:// URL')
        .optional(),
    })
    .prefault({}),
  mixer: z
    .strictObject({
      /**
       * `app`: our media engine (no Asterisk timer needed); `asterisk`: an ARI mixing bridge; `auto`: the cheaper
       * correct one for what Asterisk has, checked at each connect (src/app/mixers/autoMixer.ts).
       */
      default: z.enum([...MIXER_KINDS, 'auto']).default('auto'),
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
       * The PJSIP endpoint Asterisk dials the app's SIP media legs with (asterisk-conf/pjsip.conf). When Asterisk
       * has it, a PJSIP caller's leg is a SIP call to the app and its bridge runs native_rtp; '' keeps externalMedia.
       */
      sipEndpoint: z
        .string()
        .regex(/^[A-Za-z0-9_.-]*$/, 'sipEndpoint must be a plain endpoint name')
        .default('meetme-media'),
      /** UDP port of the app's SIP answerer for media legs (0: any free port). */
      sipPort: z.number().int().min(0).max(65535).default(5070),
      /**
       * How long before each tick a media thread stops taking other work and waits for it, so a burst of
       * packets or a GC pause does not make the mix late. 0 turns it off.
       */
      tickLeadMs: z.number().min(0).max(8).default(3),
      soundsDir: z.string().min(1).default('/usr/share/asterisk/sounds/en'),
      musicDir: z.string().min(1).default('/usr/share/asterisk/moh'),
    })
    .prefault({}),
  /** Browsers joining through a link, into the app mixer (WebRTC, PCMU). */
  webrtc: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** Signs join links (HMAC-SHA256). Unset: a random one per start, so links end with the process. */
      tokenSecret: z.string().min(32, 'tokenSecret must be at least 32 characters').optional(),
      /** The longest a join link may be valid for. */
      maxLinkSeconds: z.number().int().min(60).max(604800).default(86400),
      /**
       * The one address browsers reach (the ICE host candidate, e.g. a public or 1:1 NAT address).
       * Unset: every address of every interface is offered.
       */
      address: z.string().min(1).optional(),
      /** The local address the ICE sockets bind to; unset: all. */
      bindAddress: z.string().min(1).optional(),
      /** UDP ports for browsers' media: one per browser (per offered address when `address` is unset). */
      portMin: z.number().int().min(1024).max(65535).default(41000),
      portMax: z.number().int().min(1024).max(65535).default(41999),
      /** STUN and TURN servers handed to browsers and used by the app (TURN for browsers behind strict NAT). */
      iceServers: z
        .array(
          z.strictObject({
            urls: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
            username: z.string().optional(),
            credential: z.string().optional(),
          }),
        )
        .default([]),
      /** A browser whose audio stops this long is gone (lost network, closed laptop). */
      mediaTimeoutMs: z.number().int().min(1000).max(60000).default(5000),
    })
    .refine((w) => w.portMin < w.portMax, { message: 'portMin must be below portMax', path: ['portMin'] })
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
  /** Usage history, the forecast and plan of nodes, and the hook an autoscaler follows (README: capacity planning). */
  capacity: capacitySchema.prefault({}),
  /** Several instances, one active per Asterisk node under a lease in Redis (README: High availability). */
  ha: z
    .strictObject({
      /** `redis://host:port`: set, this instance takes its node only while it holds the node's lease. */
      redisUrl: z.url({ protocol: /^rediss?$/ }).optional(),
      /** Names this instance in leases, logs and /readyz; default `<hostname>-<pid>`. */
      instanceId: z
        .string()
        .regex(/^[A-Za-z0-9_.-]+$/, 'instanceId must be letters, digits, _ . or -')
        .optional(),
      /** How long a lease outlives its holder: a standby takes a dead instance's node within this. */
      leaseTtlMs: z.number().int().min(500).max(60000).default(2000),
      /** Where the other instances reach this one's API to forward live control; default `http://<http.host>:<http.port>`. */
      apiUrl: z.url({ protocol: /^https?$/ }).optional(),
    })
    .prefault({}),
  conferences: z.array(conferenceSchema).default([]),
  apiKeys: z.array(apiKeySchema).default([]),
});

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type StaticConference = z.output<typeof conferenceSchema>;
export type ApiKeyConfig = z.output<typeof apiKeySchema>;
export type CapacityConfig = z.output<typeof capacitySchema>;
export type NodeConfig = z.output<typeof nodeSchema>;
