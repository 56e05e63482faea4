import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { AppError } from '../lib/errors';
import { configSchema, type Config } from './schema';

/** Every problem found, one line each, so an admin fixes them all in one go. */
export class ConfigError extends AppError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('invalid_config', `invalid configuration:\n  - ${problems.join('\n  - ')}`, { problems });
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Env = Readonly<Record<string, string | undefined>>;

type Json = Record<string, unknown>;

/** Environment variables that override the file: name -> [section, key, type]. */
const ENV_MAP: Record<string, [string, string, 'string' | 'number' | 'boolean']> = {
  ARI_URL: ['ari', 'url', 'string'],
  ARI_USERNAME: ['ari', 'username', 'string'],
  ARI_PASSWORD: ['ari', 'password', 'string'],
  ARI_APP: ['ari', 'app', 'string'],
  ARI_NODE_ID: ['ari', 'nodeId', 'string'],
  ARI_MAX_CONNECTIONS: ['ari', 'maxConnections', 'number'],
  HTTP_HOST: ['http', 'host', 'string'],
  HTTP_PORT: ['http', 'port', 'number'],
  MIXER: ['mixer', 'default', 'string'],
  STORE_PATH: ['store', 'path', 'string'],
  STORE_URL: ['store', 'url', 'string'],
  MEDIA_BIND_ADDRESS: ['media', 'bindAddress', 'string'],
  MEDIA_ADVERTISE_ADDRESS: ['media', 'advertiseAddress', 'string'],
  MEDIA_PORT: ['media', 'port', 'number'],
  MEDIA_TICK_LEAD_MS: ['media', 'tickLeadMs', 'number'],
  MEDIA_THREADS: ['media', 'threads', 'number'],
  MEDIA_SIP_ENDPOINT: ['media', 'sipEndpoint', 'string'],
  MEDIA_SIP_PORT: ['media', 'sipPort', 'number'],
  SOUNDS_DIR: ['media', 'soundsDir', 'string'],
  MOH_DIR: ['media', 'musicDir', 'string'],
  WEBRTC_ENABLED: ['webrtc', 'enabled', 'boolean'],
  WEBRTC_TOKEN_SECRET: ['webrtc', 'tokenSecret', 'string'],
  WEBRTC_ADDRESS: ['webrtc', 'address', 'string'],
  WEBRTC_BIND_ADDRESS: ['webrtc', 'bindAddress', 'string'],
  WEBRTC_PORT_MIN: ['webrtc', 'portMin', 'number'],
  WEBRTC_PORT_MAX: ['webrtc', 'portMax', 'number'],
  RECORDINGS_DIR: ['recordings', 'dir', 'string'],
  DYNAMIC_CONFERENCES: ['dynamic', 'enabled', 'boolean'],
  LOG_LEVEL: ['log', 'level', 'string'],
  DRAIN_TIMEOUT_MS: ['shutdown', 'drainTimeoutMs', 'number'],
  REDIS_URL: ['ha', 'redisUrl', 'string'],
  HA_INSTANCE_ID: ['ha', 'instanceId', 'string'],
  HA_LEASE_TTL_MS: ['ha', 'leaseTtlMs', 'number'],
  HA_API_URL: ['ha', 'apiUrl', 'string'],
};

function readFile(path: string, problems: string[]): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(`config file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    return {};
  }
  try {
    const parsed: unknown = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    if (parsed === null || parsed === undefined) return {};
    if (typeof parsed !== 'object' || Array.isArray(parsed)) {
      problems.push(`config file ${path}: the top level must be a mapping`);
      return {};
    }
    return parsed as Json;
  } catch (error) {
    problems.push(`config file ${path}: ${error instanceof Error ? error.message : String(error)}`);
    return {};
  }
}

function applyEnv(raw: Json, env: Env, problems: string[]): void {
  for (const [name, [section, key, type]] of Object.entries(ENV_MAP)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const target = (typeof raw[section] === 'object' && raw[section] !== null ? raw[section] : {}) as Json;
    raw[section] = target;
    if (type === 'number') {
      const n = Number(value);
      if (!Number.isInteger(n)) problems.push(`${name}: expected a whole number, got "${value}"`);
      else target[key] = n;
    } else if (type === 'boolean') {
      if (!/^(true|false|1|0|yes|no)$/i.test(value)) problems.push(`${name}: expected true or false, got "${value}"`);
      else target[key] = /^(true|1|yes)$/i.test(value);
    } else {
      target[key] = value;
    }
  }
}

/** API_KEYS=name:role:key[,name:role:key] for containers without a config file. */
function applyApiKeys(raw: Json, env: Env): void {
  const keys = env.API_KEYS;
  if (!keys) return;
  raw.apiKeys = keys.split(',').map((entry) => {
    const [name, role, ...rest] = entry.split(':');
    return { name, role, key: rest.join(':') };
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Reads the file (YAML or JSON) and the environment once, validates everything, returns a frozen config. */
export function loadConfig(options: { file?: string | undefined; env?: Env } = {}): Readonly<Config> {
  const env = options.env ?? process.env;
  const problems: string[] = [];
  const file = options.file ?? env.ARI_MEETME_CONFIG;
  const raw: Json = file ? readFile(file, problems) : {};
  applyEnv(raw, env, problems);
  applyApiKeys(raw, env);
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const where = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
      problems.push(`${where}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  const config = result.data;
  const numbers = new Set<string>();
  for (const conference of config.conferences) {
    if (numbers.has(conference.number)) problems.push(`conferences: number ${conference.number} is defined twice`);
    numbers.add(conference.number);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}
