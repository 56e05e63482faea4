import { SipDialog } from './sipLeg';
import type { Asterisk } from './Asterisk';
import { AriFault } from './errors';
import { bridgeJson, channelJson, playbackJson, recordingJson } from './model';
import { ExternalMediaLeg } from './rtp';
import { SimCaller } from './SimCaller';
import { SOUNDS } from './sounds';

export interface RestRequest {
  method: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown> | undefined;
  app: (name: string) => void;
}

export type Reply = { status: number; body?: unknown } | Promise<{ status: number; body?: unknown }>;
type Handler = (a: Asterisk, r: RestRequest) => Reply;

const ok = (body: unknown): { status: number; body: unknown } => ({ status: 200, body });
const none = { status: 204 };

function list(value: string | null): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function required(r: RestRequest, name: string): string {
  const value = r.query.get(name) ?? (typeof r.body?.[name] === 'string' ? r.body[name] : null);
  if (value === null || value === '') throw new AriFault(400, `${name}: Missing required field`);
  return value;
}

async function originate(a: Asterisk, r: RestRequest, id: string | undefined): Promise<{ status: number; body: unknown }> {
  const endpoint = r.query.get('endpoint');
  if (!endpoint) throw new AriFault(400, 'Endpoint must be specified');
  if (!r.query.get('app') && !r.query.get('extension')) throw new AriFault(400, 'Application or extension must be specified');
  if (!endpoint.includes('/')) throw new AriFault(400, 'Invalid endpoint specified');
  const channelId = id ?? r.query.get('channelId') ?? a.newChannelId();
  const app = r.query.get('app') ?? undefined;
  // Stasis keeps empty arguments: appArgs '1234,,x' arrives as ['1234', '', 'x'].
  const appArgs = r.query.get('appArgs');
  const args = appArgs ? appArgs.split(',') : [];
  const [tech, resource] = endpoint.split('/', 2);
  const sipUri = /^PJSIP\/([^/]+)\/(sips?:[^@]+@([^:;>]+):(\d+))$/.exec(endpoint);
  if (sipUri && app && a.sipEndpoints.has(sipUri[1]!)) return dialSipUri(a, r, channelId, app, args, sipUri);
  const pjsip = tech === 'PJSIP' && a.answers(endpoint);
  const local = tech === 'Local' && /@/.test(resource ?? '');
  if (!pjsip && !local) throw new AriFault(500, 'Allocation failed', 'error');
  const [callerName, callerNumber] = (r.query.get('callerId') ?? '').replace(/>$/, '').split(/\s*</);
  const caller = { name: callerName ?? '', number: callerNumber ?? '' };
  const c = a.createChannel({ id: channelId, name: `${endpoint}-${channelId.slice(-8)}${local ? ';1' : ''}`, caller });
  const [localExten, localContext] = (resource ?? '').split('@');
  const plan = local ? testCaller(localExten ?? '', localContext ?? '') : { toneHz: null, burst: false, echo: false, known: true };
  if (local) {
    const other = a.createChannel({
      id: r.query.get('otherChannelId') ?? a.newChannelId(),
      name: `${endpoint}-${channelId.slice(-8)};2`,
      caller,
      partner: c.id,
    });
    c.partner = other.id;
    // The originating app also gets both halves' events (FINDINGS "Caller paired with externalMedia").
    if (app) {
      other.watchers.add(app);
      c.watchers.add(app);
    }
  }
  const sim = new SimCaller(a, c, plan.toneHz, 8000);
  // A Local channel's audio is the dialplan's: Playtones is a generator, Echo() sends back what it reads.
  sim.generated = local && !plan.echo;
  sim.echo = plan.echo;
  c.sim = sim;
  const context = r.query.get('context');
  const exten = r.query.get('extension');
  setTimeout(() => {
    if (!a.channels.has(c.id)) return;
    if (!plan.known) return a.failLocal(c);
    sim.state = 'up';
    if (plan.burst) sim.burst(440, 2000, 4000);
    if (app) {
      a.enterStasis(c, app, args);
      a.setState(c, 'Up');
    } else if (context === 'conferences' && exten) {
      // The shipped dialplan: exten => _X.,1,Stasis(meetme,${EXTEN}).
      c.fromDialplan = true;
      c.dialplan = { context, exten, priority: 2, app_name: 'Stasis', app_data: `meetme,${exten}` };
      a.enterStasis(c, 'meetme', [exten]);
    }
  }, a.ms(2));
  return ok(channelJson(c));
}

/** chan_pjsip calling a SIP URI: the channel is Down until the far end answers, then Up and in Stasis. */
async function dialSipUri(
  a: Asterisk,
  r: RestRequest,
  channelId: string,
  app: string,
  args: string[],
  match: RegExpExecArray,
): Promise<{ status: number; body: unknown }> {
  const [, endpointName, uri, host, port] = match as unknown as [string, string, string, string, string];
  const c = a.createChannel({ id: channelId, name: `PJSIP/${endpointName}-${channelId.slice(-8)}` });
  const remote = { address: host, port: Number(port) };
  const leg = new ExternalMediaLeg(a, c, remote, 'ulaw');
  const rtpPort = await leg.bind();
  const dialog = new SipDialog(uri, { address: host, port: Number(port) });
  const timeoutSeconds = Number(r.query.get('timeout') ?? 30);
  void dialog.invite(rtpPort, Math.min(timeoutSeconds * 1000, 5000)).then((answer) => {
    if (!a.channels.has(c.id)) {
      // Hung up (or the double stopped) while ringing: the answerer's dialog ends too, as chan_pjsip's would.
      if (answer) dialog.bye();
      else dialog.close();
      leg.close();
      return;
    }
    if (!answer) {
      dialog.close();
      leg.close();
      a.channels.delete(c.id);
      a.emitChannel(c, 'ChannelDestroyed', { cause: 18, cause_txt: 'No user responding' });
      return;
    }
    remote.address = answer.address;
    remote.port = answer.port;
    c.media = leg;
    c.sip = { dialog, telephoneEvent: answer.telephoneEvent };
    a.setState(c, 'Up');
    a.enterStasis(c, app, args);
  });
  return ok(channelJson(c));
}

async function externalMedia(a: Asterisk, r: RestRequest): Promise<{ status: number; body: unknown }> {
  const app = r.query.get('app');
  const host = r.query.get('external_host');
  const format = r.query.get('format');
  if (!app) throw new AriFault(400, 'app cannot be empty');
  if (!format) throw new AriFault(400, 'format cannot be empty');
  if (!host) throw new AriFault(400, 'external_host is required for all but websocket server connections');
  // Without chan_rtp (or with a codec it lacks) the channel cannot be allocated.
  if ((format !== 'ulaw' && format !== 'slin16' && format !== 'g722') || !a.modules.has('chan_rtp.so'))
    throw new AriFault(500, 'An internal error prevented this request from being handled');
  const [address, port] = host.split(':');
  const id = r.query.get('channelId') ?? a.newChannelId();
  const c = a.createChannel({ id, name: `UnicastRTP/${host}-${id.slice(-8)}`, state: 'Up' });
  const leg = new ExternalMediaLeg(a, c, { address: address ?? '127.0.0.1', port: Number(port) }, format);
  c.media = leg;
  const localPort = await leg.bind();
  c.channelvars = { UNICASTRTP_LOCAL_ADDRESS: '127.0.0.1', UNICASTRTP_LOCAL_PORT: String(localPort) };
  // StasisStart can beat the REST response (FINDINGS "externalMedia").
  a.enterStasis(c, app, []);
  return ok(channelJson(c));
}

function play(a: Asterisk, r: RestRequest, kind: 'channel' | 'bridge', playbackId?: string): { status: number; body: unknown } {
  const id = kind === 'channel' ? r.params.channelId! : r.params.bridgeId!;
  if (kind === 'channel') a.stasisChannel(id);
  else a.bridge(id);
  const media = r.query.get('media') !== null ? list(r.query.get('media')) : Array.isArray(r.body?.media) ? (r.body.media as string[]) : [];
  const p = a.play({ kind, id }, media, playbackId ?? r.query.get('playbackId') ?? undefined, r.query.get('lang') ?? 'en');
  return { status: 201, body: playbackJson(p) };
}

/**
 * The test-callers context of the recorded sessions (Playtones, Echo), and the shipped self-test
 * (asterisk-conf/extensions.conf: `echo` runs Echo(); `tone`, the old Playtones(1004), is kept for old dialplans).
 */
function testCaller(exten: string, context: string): { toneHz: number | null; burst: boolean; echo: boolean; known: boolean } {
  if (context === 'meetme-selftest')
    return { toneHz: exten === 'tone' ? 1004 : null, burst: false, echo: exten === 'echo', known: exten === 'tone' || exten === 'echo' };
  const tone = /^tone(\d+)$/.exec(exten);
  if (tone) return { toneHz: Number(tone[1]), burst: false, echo: false, known: true };
  if (exten === 'burst440') return { toneHz: null, burst: true, echo: false, known: true };
  return {
    toneHz: null,
    burst: false,
    echo: exten === 'echo',
    known: ['silence', 'dtmf', 'echo', 's'].includes(exten) || /^\d+$/.test(exten),
  };
}

function variableName(r: RestRequest): string {
  const variable = r.query.get('variable');
  if (!variable) throw new AriFault(400, 'Variable name is required');
  return variable;
}

/** A parameter from the query string or, as ARI also accepts, the JSON body. */
function param(r: RestRequest, name: string): string | undefined {
  const fromQuery = r.query.get(name);
  if (fromQuery !== null) return fromQuery;
  const fromBody = r.body?.[name];
  return typeof fromBody === 'string' ? fromBody : undefined;
}

function applicationJson(a: Asterisk, name: string): Record<string, unknown> {
  const channels = [...a.channels.values()].filter((c) => c.app === name).map((c) => c.id);
  const bridges = [...a.bridges.values()].filter((b) => b.subscribers.has(name)).map((b) => b.id);
  return {
    name,
    channel_ids: channels,
    bridge_ids: bridges,
    endpoint_ids: [],
    device_names: [],
    events_allowed: [],
    events_disallowed: [],
  };
}

function direction(r: RestRequest): { in: boolean; out: boolean } {
  const d = r.query.get('direction') ?? 'both';
  if (!['in', 'out', 'both'].includes(d)) throw new AriFault(400, 'Invalid direction specified');
  return { in: d === 'in' || d === 'both', out: d === 'out' || d === 'both' };
}

/** The REST endpoints the double implements: `METHOD /path/{param}` -> handler. */
export const ROUTES: Record<string, Handler> = {
  'GET /asterisk/info': (a) =>
    ok({
      build: { os: 'Linux', kernel: '6', machine: 'x86_64', options: '', date: '', user: 'root' },
      system: { version: a.options.version, entity_id: '02:fc:00:00:00:01' },
      config: { name: '', default_language: 'en', setid: { user: '', group: '' } },
      status: { startup_time: '', last_reload_time: '' },
    }),
  'GET /asterisk/ping': () => ok({ asterisk_id: '02:fc:00:00:00:01', ping: 'pong', timestamp: new Date().toISOString() }),
  'GET /endpoints/{tech}/{resource}': (a, r) => {
    const { tech, resource } = r.params as { tech: string; resource: string };
    if (tech !== 'PJSIP' || !a.sipEndpoints.has(resource)) throw new AriFault(404, 'Endpoint not found');
    return ok({ technology: 'PJSIP', resource, state: 'unknown', channel_ids: [] });
  },
  // Sorcery objects over ARI (res_ari_asterisk): pjsip.conf's endpoints too, with every attribute; the double keeps
  // only direct_media (the lab: GET .../res_pjsip/endpoint/meetme-media lists it as "true" or "false").
  'GET /asterisk/config/dynamic/{configClass}/{objectType}/{id}': (a, r) => {
    const { configClass, objectType, id } = r.params as { configClass: string; objectType: string; id: string };
    if (configClass !== 'res_pjsip' || objectType !== 'endpoint' || !a.sipEndpoints.has(id)) throw new AriFault(404, 'Object not found');
    return ok([{ attribute: 'direct_media', value: a.directMedia.has(id) ? 'true' : 'false' }]);
  },
  'GET /asterisk/modules': (a) => ok([...a.modules].sort().map((m) => a.moduleJson(m))),
  'GET /asterisk/modules/{moduleName}': (a, r) => {
    if (!a.modules.has(r.params.moduleName!)) throw new AriFault(404, 'Module could not be found in running modules');
    return ok(a.moduleJson(r.params.moduleName!));
  },
  'DELETE /asterisk/modules/{moduleName}': (a, r) => {
    if (!a.modules.has(r.params.moduleName!)) throw new AriFault(404, 'Module could not be found in running modules');
    a.setModule(r.params.moduleName!, false);
    return none;
  },
  'POST /asterisk/modules/{moduleName}': (a, r) => {
    if (a.modules.has(r.params.moduleName!)) throw new AriFault(409, 'Module is already loaded');
    a.setModule(r.params.moduleName!, true);
    return none;
  },
  'GET /applications': (a) => ok(a.apps().map((name) => applicationJson(a, name))),
  'GET /applications/{applicationName}': (a, r) => {
    const name = r.params.applicationName!;
    if (!a.apps().includes(name)) throw new AriFault(404, 'Application not found');
    return ok(applicationJson(a, name));
  },
  'GET /sounds': (a) =>
    ok(
      Object.keys(SOUNDS)
        .filter((id) => !a.missingSounds.has(id))
        .map((id) => ({ id, text: id, formats: [{ language: 'en', format: 'wav' }] })),
    ),
  'GET /sounds/{soundId}': (_a, r) => {
    if (SOUNDS[r.params.soundId!] === undefined) throw new AriFault(404, 'Sound not found');
    return ok({ id: r.params.soundId, text: r.params.soundId, formats: [{ language: 'en', format: 'wav' }] });
  },
  'GET /channels': (a) => ok([...a.channels.values()].map(channelJson)),
  'POST /channels': (a, r) => originate(a, r, undefined),
  'POST /channels/externalMedia': (a, r) => externalMedia(a, r),
  'POST /channels/{channelId}': (a, r) => originate(a, r, r.params.channelId),
  'GET /channels/{channelId}': (a, r) => ok(channelJson(a.channel(r.params.channelId!))),
  'DELETE /channels/{channelId}': (a, r) => {
    const reason = r.query.get('reason');
    const c = a.channel(r.params.channelId!);
    if (
      reason !== null &&
      ![
        'normal',
        'busy',
        'congestion',
        'no_answer',
        'timeout',
        'rejected',
        'unallocated',
        'normal_unspecified',
        'number_incomplete',
        'codec_mismatch',
        'interworking',
        'failure',
        'answered_elsewhere',
      ].includes(reason)
    ) {
      throw new AriFault(400, 'Invalid reason for hangup reason provided');
    }
    a.hangup(c, true);
    return none;
  },
  'POST /channels/{channelId}/redirect': (a, r) => {
    const endpoint = r.query.get('endpoint');
    if (!endpoint) throw new AriFault(400, 'Required parameter endpoint not provided');
    const c = a.stasisChannel(r.params.channelId!);
    const slash = endpoint.indexOf('/');
    const tech = endpoint.slice(0, slash);
    const own = c.name.split('/')[0] ?? '';
    // resource_channels.c: the endpoint's technology must be the channel's.
    if (slash <= 0 || tech.toLowerCase() !== own.toLowerCase())
      throw new AriFault(422, `Endpoint technology '${tech}' does not match channel technology '${own}'`);
    // chan_pjsip answers the INVITE with a 302 (a REFER once answered) from its serializer, after the 204: the
    // call leaves this Asterisk then, unless it was hung up meanwhile (the caller gets a 487 and goes nowhere).
    setTimeout(() => {
      if (!a.channels.has(c.id)) return;
      a.redirected(c, endpoint.slice(slash + 1));
      a.hangup(c, false);
    }, 20);
    return none;
  },
  'POST /channels/{channelId}/answer': (a, r) => {
    const c = a.stasisChannel(r.params.channelId!);
    a.setState(c, 'Up');
    if (c.sim) c.sim.state = 'up';
    return none;
  },
  'POST /channels/{channelId}/ring': (a, r) => (a.stasisChannel(r.params.channelId!), none),
  'POST /channels/{channelId}/continue': (a, r) => {
    const c = a.stasisChannel(r.params.channelId!);
    const priority = r.query.get('priority');
    a.continueInDialplan(c, {
      ...(r.query.get('context') ? { context: r.query.get('context')! } : {}),
      ...(r.query.get('extension') ? { extension: r.query.get('extension')! } : {}),
      ...(priority ? { priority: Number(priority) } : {}),
    });
    return none;
  },
  'POST /channels/{channelId}/record': (a, r) => {
    const c = a.stasisChannel(r.params.channelId!);
    const rec = a.recordChannel(c, {
      name: required(r, 'name'),
      format: required(r, 'format'),
      ifExists: r.query.get('ifExists') ?? 'fail',
      maxDurationSeconds: Number(r.query.get('maxDurationSeconds') ?? 0),
      maxSilenceSeconds: Number(r.query.get('maxSilenceSeconds') ?? 0),
      beep: r.query.get('beep') === 'true',
      terminateOn: r.query.get('terminateOn') ?? 'none',
    });
    return { status: 201, body: recordingJson(rec) };
  },
  'POST /channels/{channelId}/mute': (a, r) => {
    const c = a.stasisChannel(r.params.channelId!);
    const d = direction(r);
    c.mute = { in: c.mute.in || d.in, out: c.mute.out || d.out };
    return none;
  },
  'DELETE /channels/{channelId}/mute': (a, r) => {
    const c = a.stasisChannel(r.params.channelId!);
    const d = direction(r);
    c.mute = { in: c.mute.in && !d.in, out: c.mute.out && !d.out };
    return none;
  },
  'POST /channels/{channelId}/moh': (a, r) => ((a.stasisChannel(r.params.channelId!).moh = true), none),
  'DELETE /channels/{channelId}/moh': (a, r) => ((a.stasisChannel(r.params.channelId!).moh = false), none),
  'POST /channels/{channelId}/silence': (a, r) => ((a.stasisChannel(r.params.channelId!).silence = true), none),
  'DELETE /channels/{channelId}/silence': (a, r) => ((a.stasisChannel(r.params.channelId!).silence = false), none),
  'POST /channels/{channelId}/play': (a, r) => play(a, r, 'channel'),
  'POST /channels/{channelId}/play/{playbackId}': (a, r) => play(a, r, 'channel', r.params.playbackId),
  'POST /channels/{channelId}/variable': (a, r) => {
    const c = a.channel(r.params.channelId!);
    a.setVar(c, variableName(r), r.query.get('value') ?? '');
    return none;
  },
  'GET /channels/{channelId}/variable': (a, r) => {
    const c = a.channel(r.params.channelId!);
    return ok({ value: a.getVar(c, variableName(r)) });
  },
  'POST /channels/{channelId}/snoop': (a, r) => {
    if (!a.channels.has(r.params.channelId!)) throw new AriFault(404, 'Provided channel was not found');
    throw new AriFault(500, 'Snoop channels are not simulated');
  },
  'POST /channels/{channelId}/dtmf': (a, r) => {
    const c = a.stasisChannel(r.params.channelId!);
    if (!r.query.get('dtmf')) throw new AriFault(400, 'DTMF is required');
    const peer = a.peerOf(c);
    for (const digit of r.query.get('dtmf') ?? '') if (peer) a.dtmf(peer, digit, 100);
    return none;
  },
  'GET /channels/{channelId}/rtp_statistics': (a, r) => {
    a.channel(r.params.channelId!);
    throw new AriFault(404, 'RTP info not found');
  },
  'GET /bridges': (a) => ok([...a.bridges.values()].map(bridgeJson)),
  'POST /bridges': (a, r) => ok(bridgeJson(a.createBridge(param(r, 'bridgeId'), param(r, 'type') ?? 'mixing', param(r, 'name') ?? ''))),
  'POST /bridges/{bridgeId}': (a, r) =>
    ok(bridgeJson(a.createBridge(r.params.bridgeId, r.query.get('type') ?? 'mixing', r.query.get('name') ?? ''))),
  'GET /bridges/{bridgeId}': (a, r) => ok(bridgeJson(a.bridge(r.params.bridgeId!))),
  'DELETE /bridges/{bridgeId}': (a, r) => {
    if (a.failed.delete(r.params.bridgeId!)) return none;
    a.destroyBridge(a.bridge(r.params.bridgeId!));
    return none;
  },
  'POST /bridges/{bridgeId}/addChannel': (a, r) => {
    a.addToBridge(a.bridge(r.params.bridgeId!), list(required(r, 'channel')));
    return none;
  },
  'POST /bridges/{bridgeId}/removeChannel': (a, r) => {
    a.removeFromBridge(a.bridge(r.params.bridgeId!), list(required(r, 'channel')));
    return none;
  },
  'POST /bridges/{bridgeId}/play': (a, r) => play(a, r, 'bridge'),
  'POST /bridges/{bridgeId}/play/{playbackId}': (a, r) => play(a, r, 'bridge', r.params.playbackId),
  'POST /bridges/{bridgeId}/moh': (a, r) => (a.bridge(r.params.bridgeId!), none),
  'DELETE /bridges/{bridgeId}/moh': (a, r) => (a.bridge(r.params.bridgeId!), none),
  'POST /bridges/{bridgeId}/record': (a, r) => {
    const dead = a.failed.get(r.params.bridgeId!);
    // Queued, and then nothing: the recording never starts and holds no audio.
    if (dead)
      return {
        status: 201,
        body: { name: required(r, 'name'), format: required(r, 'format'), state: 'queued', target_uri: `bridge:${dead.id}` },
      };
    const rec = a.recordBridge(a.bridge(r.params.bridgeId!), required(r, 'name'), required(r, 'format'), r.query.get('ifExists') ?? 'fail');
    return { status: 201, body: recordingJson(rec) };
  },
  'GET /playbacks/{playbackId}': (a, r) => {
    const p = a.playbacks.get(r.params.playbackId!);
    if (!p || p.stuck) throw new AriFault(404, 'Playback not found');
    return ok(playbackJson(p));
  },
  'POST /playbacks/{playbackId}/control': (a, r) => {
    if (!a.playbacks.has(r.params.playbackId!)) throw new AriFault(404, 'Playback not found');
    return none;
  },
  'DELETE /playbacks/{playbackId}': (a, r) => {
    a.stopPlayback(r.params.playbackId!);
    return none;
  },
  'GET /recordings/live/{recordingName}': (a, r) => {
    const rec = a.live.get(r.params.recordingName!);
    if (!rec) throw new AriFault(404, 'Recording not found');
    return ok(recordingJson(rec));
  },
  'POST /recordings/live/{recordingName}/stop': (a, r) => {
    a.stopRecording(r.params.recordingName!);
    return none;
  },
  'POST /recordings/live/{recordingName}/pause': (a, r) => {
    a.pauseRecording(r.params.recordingName!, true);
    return none;
  },
  'DELETE /recordings/live/{recordingName}/pause': (a, r) => {
    a.pauseRecording(r.params.recordingName!, false);
    return none;
  },
  'GET /recordings/stored': (a) => ok([...a.stored.values()].map((s) => ({ name: s.name, format: s.format }))),
  'GET /recordings/stored/{recordingName}': (a, r) => {
    const s = a.stored.get(r.params.recordingName!);
    if (!s) throw new AriFault(404, 'Recording not found');
    return ok({ name: s.name, format: s.format });
  },
  'GET /recordings/stored/{recordingName}/file': (a, r) => {
    const s = a.stored.get(r.params.recordingName!);
    if (!s) throw new AriFault(404, 'Recording not found');
    return ok(a.storedFile(s));
  },
  'DELETE /recordings/stored/{recordingName}': (a, r) => {
    if (!a.stored.delete(r.params.recordingName!)) throw new AriFault(404, 'Recording not found');
    return none;
  },
};
