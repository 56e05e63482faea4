import type { TimerStats } from '../../timing/ConferenceTimer';
import type { AriClient } from '../../ari';
import { isAriError, type SessionProbeResult } from '../../ari';
import type { Config } from '../../config/schema';
import { DEFAULT_PROMPTS, type PromptSet } from '../../conference/prompts';
import { errorMessage } from '../../lib/errors';
import { RTP_SOCKET_BUFFER } from '../../media/MediaEngine';

export type Status = 'pass' | 'warn' | 'fail';

export interface Check {
  name: string;
  status: Status;
  detail: string;
  fix?: string;
}

/** The sounds a prompt set plays (`sound:` URIs; `digits:` and the like need no file). */
export function promptSounds(prompts: Readonly<PromptSet> = DEFAULT_PROMPTS): string[] {
  const uris: string[] = Object.values(prompts);
  return [...new Set(uris.filter((uri) => uri.startsWith('sound:')).map((uri) => uri.slice('sound:'.length)))].sort();
}

/** `22.10.1` as [22, 10, 1]; undefined for a version that says no number (a GIT build). */
export function parseVersion(version: string): [number, number, number] | undefined {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)] : undefined;
}

/** A pass when nothing is missing, else `status` with what is missing and its fix. */
function moduleCheck(
  name: string,
  missing: string[],
  status: Check['status'],
  passDetail: string,
  absent: { detail: string; fix: string },
): Check {
  return missing.length === 0 ? { name, status: 'pass', detail: passDetail } : { name, status, ...absent };
}

function olderThan(version: [number, number, number], than: [number, number, number]): boolean {
  for (let i = 0; i < 3; i++) if (version[i] !== than[i]) return (version[i] as number) < (than[i] as number);
  return false;
}

/** Asterisk 22.9.0 fixed the crash on DTMF with no timing module (asterisk/asterisk#566). */
const DTMF_WITHOUT_TIMER_FIXED: [number, number, number] = [22, 9, 0];

export async function reachability(ari: AriClient, config: Config): Promise<{ checks: Check[]; reachable: boolean; version?: string }> {
  try {
    const info = await ari.rest.asterisk.getInfo({});
    const version = info.system?.version ?? 'unknown';
    const major = Number(version.split('.')[0]);
    return {
      reachable: true,
      version,
      checks: [
        { name: 'ARI reachable', status: 'pass', detail: config.ari.url },
        { name: 'ARI credentials', status: 'pass', detail: `user ${config.ari.username}` },
        {
          name: 'Asterisk version',
          status: major >= 20 ? 'pass' : 'warn',
          detail: `Asterisk ${version}`,
          ...(major >= 20 ? {} : { fix: 'ari-meetme is tested against Asterisk 22; 20 or later is recommended' }),
        },
      ],
    };
  } catch (error) {
    if (isAriError(error) && error.ariStatus === 401) {
      return {
        reachable: false,
        checks: [
          { name: 'ARI reachable', status: 'pass', detail: config.ari.url },
          {
            name: 'ARI credentials',
            status: 'fail',
            detail: `Asterisk refused user ${config.ari.username}`,
            fix: 'set the same user and password in /etc/asterisk/ari.conf and ARI_USERNAME / ARI_PASSWORD',
          },
        ],
      };
    }
    return {
      reachable: false,
      checks: [
        {
          name: 'ARI reachable',
          status: 'fail',
          detail: `${config.ari.url}: ${errorMessage(error)}`,
          fix: 'enable the HTTP server and ARI (asterisk-conf/http.conf, ari.conf) and point ARI_URL at it',
        },
      ],
    };
  }
}

export async function modules(ari: AriClient, config: Config, version = 'unknown'): Promise<Check[]> {
  const loaded = new Set((await ari.rest.asterisk.listModules()).filter((m) => m.status === 'Running').map((m) => m.name));
  const missing = (names: string[]) => names.filter((n) => !loaded.has(n));
  const checks: Check[] = [];
  const core = missing(['res_ari.so', 'res_stasis.so', 'res_ari_channels.so', 'res_ari_bridges.so', 'res_ari_events.so']);
  checks.push(
    moduleCheck('ARI modules', core, 'fail', 'res_ari, res_stasis and the ARI resources are loaded', {
      detail: `not loaded: ${core.join(', ')}`,
      fix: `load them (module load ${core[0]}) or remove their noload lines in modules.conf`,
    }),
  );
  const appMixerWanted = config.mixer.default !== 'asterisk' || config.conferences.some((c) => c.mixer === 'app');
  checks.push(
    moduleCheck(
      'app mixer (chan_rtp)',
      missing(['chan_rtp.so']),
      appMixerWanted ? 'fail' : 'warn',
      'chan_rtp is loaded: externalMedia works, no Asterisk timer needed',
      { detail: 'chan_rtp is not loaded', fix: 'module load chan_rtp.so' },
    ),
  );
  const timing = [...loaded].filter((n) => n.startsWith('res_timing_')).sort();
  const asteriskWanted = config.mixer.default === 'asterisk' || config.conferences.some((c) => c.mixer === 'asterisk');
  if (timing.length === 0) {
    checks.push({
      name: 'Asterisk timing module',
      status: asteriskWanted ? 'fail' : 'warn',
      detail: 'no res_timing_* module is loaded: Asterisk mixing bridges record and mix nothing',
      fix: 'load res_timing_timerfd (modules.conf: preload => res_timing_timerfd.so), or use the app mixer (mixer: app), which needs no Asterisk timer',
    });
    const parsed = parseVersion(version);
    if (parsed && olderThan(parsed, DTMF_WITHOUT_TIMER_FIXED))
      checks.push({
        name: 'DTMF without a timer',
        status: 'warn',
        detail: `Asterisk ${version} with no timing module can crash when a caller presses a key (asterisk/asterisk#566, fixed in 22.9.0)`,
        fix: 'upgrade Asterisk to 22.9.0 or later, or load res_timing_timerfd (modules.conf: preload => res_timing_timerfd.so)',
      });
  } else checks.push({ name: 'Asterisk timing module', status: 'pass', detail: `active: ${timing.join(', ')}` });
  const softmix = missing(['bridge_softmix.so']);
  checks.push(
    softmix.length === 0
      ? { name: 'Asterisk mixer (bridge_softmix)', status: 'pass', detail: 'bridge_softmix is loaded' }
      : {
          name: 'Asterisk mixer (bridge_softmix)',
          status: asteriskWanted ? 'fail' : 'warn',
          detail: 'bridge_softmix is not loaded',
          fix: 'module load bridge_softmix.so',
        },
  );
  return checks;
}

/** Every sound the caller flow and the conference play, as Asterisk lists them. */
export async function prompts(ari: AriClient, set: Readonly<PromptSet> = DEFAULT_PROMPTS): Promise<Check> {
  const sounds = new Set((await ari.rest.sounds.list({})).map((s) => s.id));
  const wanted = promptSounds(set);
  const missing = wanted.filter((p) => !sounds.has(p));
  return missing.length === 0
    ? { name: 'conference prompts', status: 'pass', detail: `${wanted.length} prompts found` }
    : {
        name: 'conference prompts',
        status: 'fail',
        detail: `missing: ${missing.join(', ')}`,
        fix: 'install the core sounds (Debian: asterisk-core-sounds-en-wav)',
      };
}

/**
 * Whether Asterisk took the pool, the events socket and one more connection at once: past http.conf
 * `sessionlimit` it closes new connections with no answer and the callers whose requests they carried fail.
 */
export function sessionLimit(result: SessionProbeResult, maxConnections: number): Check {
  const count = result.answered + result.refused + result.unanswered;
  const name = 'HTTP session limit';
  const wanted = `ari.maxConnections (${maxConnections}) + the events socket + 1`;
  if (result.refused === 0 && result.unanswered === 0)
    return { name, status: 'pass', detail: `Asterisk answered ${count} connections held at once: ${wanted}` };
  return {
    name,
    status: 'warn',
    detail: `Asterisk closed ${result.refused} and left ${result.unanswered} unanswered of ${count} connections held at once (${wanted}); connections others hold, a running ari-meetme too, count against http.conf sessionlimit`,
    fix: `raise sessionlimit in http.conf [general] (asterisk-conf/http.conf: 200) to at least ${maxConnections + 2} plus what other HTTP clients hold, or lower ari.maxConnections`,
  };
}

/** What the app mixer asks for as its UDP receive buffer; Linux caps it at net.core.rmem_max. */
export const RTP_RECEIVE_BUFFER = RTP_SOCKET_BUFFER;

/** A small receive buffer drops RTP in bursts when the event loop stalls (seen in the engine benchmark). */
export function receiveBuffer(rmemMax: number | undefined): Check {
  if (rmemMax === undefined)
    return { name: 'UDP receive buffer', status: 'pass', detail: 'net.core.rmem_max is not readable here (not Linux)' };
  const detail = `net.core.rmem_max is ${rmemMax} bytes; the app mixer asks for ${RTP_RECEIVE_BUFFER}`;
  return rmemMax >= RTP_RECEIVE_BUFFER
    ? { name: 'UDP receive buffer', status: 'pass', detail }
    : {
        name: 'UDP receive buffer',
        status: 'warn',
        detail,
        fix: `sysctl -w net.core.rmem_max=${RTP_RECEIVE_BUFFER} (and in /etc/sysctl.d/) so RTP bursts are not dropped`,
      };
}

/** The verdict on the host's 20 ms clock from a short run of the conference timer. */
export function hostTimer(stats: TimerStats): Check {
  const expectedTicks = stats.due;
  const name = 'host timer';
  // Skipped ticks are frames the mixer never ran: as lost as ticks that never came.
  const delivered = stats.ticks;
  const detail = `${delivered}/${expectedTicks} ticks, lateness p50 ${stats.lateness.p50.toFixed(2)} ms, p99 ${stats.lateness.p99.toFixed(2)} ms, max ${stats.lateness.max.toFixed(2)} ms`;
  // A tick later than a whole frame, or missing ticks, means audio gaps; a few ms late is absorbed by the jitter buffers.
  // One tick may still be on its way to the main thread when the clock stops.
  if (stats.lateness.p99 > 20 || delivered < expectedTicks * 0.98 - 1)
    return { name, status: 'fail', detail, fix: 'the host cannot keep a 20 ms clock: give the VM dedicated CPU' };
  if (stats.lateness.p99 > 2)
    return { name, status: 'warn', detail, fix: 'ticks run late on this host: check for CPU steal or a busy neighbour' };
  return { name, status: 'pass', detail };
}
