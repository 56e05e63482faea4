import { AriClient, ignoreGone, isNotFound, type Channel, type StasisStart } from '../ari';
import type { ClusterNode, NodeStatus } from '../cluster/Cluster';
import { NodeHealth } from '../cluster/NodeHealth';
import type { NodeSettings } from '../cluster/nodes';
import type { ConferenceManager } from '../conference/ConferenceManager';
import { parseStasisArgs } from '../conference/stasisArgs';
import type { Clock } from '../lib/clock';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { CallSession } from './CallSession';
import { readInventory, type AsteriskInventory } from './inventory';
import { AsteriskBridgeMixer, liveRecording, type RecordingSink } from './mixers/AsteriskBridgeMixer';
import type { AppMixer } from './mixers/AppMixer';
import type { NodeMedia } from './mixers/AppLeg';
import type { SipLegs } from './mixers/SipLegs';
import { TimingProbe } from './mixers/TimingProbe';
import { chooseMixer } from './mixers/autoMixer';
import type { MixerKind, RecordingPartRef } from '../conference/ports';
import { MEDIA_CHANNEL_PREFIX } from './names';
import { persistParticipantState, readParticipantState, type ParticipantState } from './participantState';
import { persistRecordingState, readRecordingState, type RecordingParts, type SavedPart, type SavedRecordings } from './recordingState';
import { clearStale, readRecoveryPlan } from './Recovery';

/** How long an unbridged Stasis channel found at start may take to show its StasisStart before it is hung up. */
const ORPHAN_GRACE_MS = 2000;

/** Nothing at all: what a node that was lost is taken to hold, so no teardown asks it anything. */
const NOTHING: AsteriskInventory = { channels: new Set(), bridges: new Map() };

export interface AsteriskNodeDeps {
  settings: NodeSettings;
  /** The conferences, shared by every node. */
  manager: ConferenceManager;
  /** The app mixer, shared by every node: a room mixes legs from any of them. */
  appMixer: AppMixer;
  /** The app's SIP answerer for media legs, shared; used on this node when its Asterisk has `sipEndpoint`. */
  sipLegs: SipLegs | undefined;
  sipEndpoint: string;
  recordings: RecordingSink;
  /** Recording parts: what a caller's channel is told of them, and ending those whose writer died. */
  parts: RecordingParts;
  /** The node an Asterisk-mixed conference lives on, if it is live. */
  homeOf: (number: string) => string | undefined;
  /** Sends a caller of this node to the node that holds their conference; false when that failed. */
  move: (caller: CallSession, toNode: string, number: string) => Promise<boolean>;
  /** Another instance holds the conference (src/ha): the caller was sent there or told it cannot be done. */
  elsewhere?: (caller: CallSession, number: string) => Promise<boolean>;
  /** A caller reached the mix this long after their StasisStart (meetme_join_seconds). */
  joined: (seconds: number) => void;
  clock: Clock;
  logger: Logger;
  /** Checked before every ARI request and events socket open (AppDeps.fence). */
  guard?: () => void;
}

/**
 * One Asterisk server: its ARI connection, its callers' sessions, recovery at connect, reconciliation after a
 * reconnect, the Asterisk side of its callers' legs, its Asterisk-mixer bridges, its drain and its health.
 * Started and stopped on its own while the app runs; the conferences and the media engine are shared.
 */
export class AsteriskNode implements ClusterNode {
  readonly id: string;
  readonly ari: AriClient;
  readonly probe: TimingProbe;
  readonly asteriskMixer: AsteriskBridgeMixer;
  readonly health: NodeHealth;
  /** The Asterisk side of this node's app-mixer legs. */
  readonly media: NodeMedia;
  private readonly sessions = new Map<string, CallSession>();
  /** When each caller's StasisStart came, until they are in the mix (meetme_join_seconds). */
  private readonly arrivals = new Map<string, number>();
  private readonly disposers: (() => void)[] = [];
  /** Whether this Asterisk has the PJSIP endpoint for SIP media legs; read at each connect. */
  private sipLegsReady = false;
  /** The SIP media endpoint has direct_media=yes (read at each connect). */
  private sipDirectMedia = false;
  private autoChoice: { mixer: MixerKind; why: string } | undefined;
  private recovered = false;
  private draining = false;
  private stopped = false;
  /** Callers who arrive while a previous run's state is read back wait here, so recovery never takes them for leftovers. */
  private readonly early: StasisStart[] = [];
  private readonly log: Logger;

  constructor(private readonly deps: AsteriskNodeDeps) {
    const { settings, clock } = deps;
    this.id = settings.id;
    this.log = deps.logger.child({ node: settings.id });
    this.ari = new AriClient({
      url: settings.url,
      username: settings.username,
      password: settings.password,
      app: settings.app,
      nodeId: settings.id,
      requestTimeoutMs: settings.requestTimeoutMs,
      maxConnections: settings.maxConnections,
      ...(deps.guard ? { guard: deps.guard } : {}),
      logger: this.log.child({ component: 'ari' }),
    });
    this.probe = new TimingProbe(this.ari, this.log);
    this.asteriskMixer = new AsteriskBridgeMixer({
      ari: this.ari,
      probe: this.probe,
      clock,
      logger: this.log,
      recordings: deps.recordings,
    });
    this.health = new NodeHealth(clock, settings.downAfterMs);
    this.media = {
      nodeId: settings.id,
      ari: this.ari,
      externalHost: (port) => `${settings.mediaAddress}:${port}`,
      mediaAddress: settings.mediaAddress,
      sipLegs: () => (this.sipLegsReady ? deps.sipLegs : undefined),
      channelName: (channelId) => this.sessions.get(channelId)?.channelName,
    };
    this.disposers.push(
      deps.manager.events.subscribe('event', (event) => {
        if (event.type !== 'participant.joined' || event.participant.nodeId !== this.id) return;
        const arrived = this.arrivals.get(event.participant.channelId);
        this.arrivals.delete(event.participant.channelId);
        if (arrived !== undefined) deps.joined((clock.now() - arrived) / 1000);
      }),
      persistParticipantState(this.ari, deps.manager, this.log, this.id),
      persistRecordingState(this.ari, deps.manager, deps.parts, this.log, this.id),
      this.ari.onStasisStart((event) => this.onStasisStart(event)),
      this.ari.events.subscribe('connected', ({ reconnect }) => void this.onConnected(reconnect)),
      this.ari.events.subscribe('disconnected', () => this.health.disconnected()),
      this.health.events.subscribe('lost', () => this.lost()),
      this.health.events.subscribe('state', (state) => this.log.info({ state }, `node ${this.id} is ${state}`)),
    );
  }

  /** Connects to Asterisk (retrying in the background until it answers). */
  async start(): Promise<void> {
    await this.ari.connect();
  }

  get settings(): NodeSettings {
    return this.deps.settings;
  }

  status(): NodeStatus {
    let participants = 0;
    for (const c of this.deps.manager.list()) participants += c.participants.filter((p) => p.nodeId === this.id).length;
    return {
      id: this.id,
      state: this.health.state,
      draining: this.draining,
      ready: this.ready,
      participants,
      since: new Date(this.health.since).toISOString(),
      reconnects: this.ari.stats().reconnects,
    };
  }

  /** Connected and reconciled, and taking callers. */
  get ready(): boolean {
    return this.ari.connected && this.recovered && !this.draining && this.health.state === 'up';
  }

  get connectedAndRecovered(): boolean {
    return this.ari.connected && this.recovered;
  }

  /** New callers on this node hear `unavailable` and are hung up; calls in progress go on. */
  drain(): void {
    if (!this.draining) this.log.info('node draining: no new callers');
    this.draining = true;
  }

  resume(): void {
    if (this.draining) this.log.info('node taking callers again');
    this.draining = false;
  }

  /** What the node holds now, for probes and tests: callers with a session, and callers still on their way in. */
  diagnostics(): { callers: number; arriving: number } {
    return { callers: this.sessions.size, arriving: this.arrivals.size };
  }

  private onStasisStart(event: StasisStart): void {
    const channel = event.channel;
    // Our own channels (externalMedia) are routed to whoever created them.
    if (channel.id.startsWith(MEDIA_CHANNEL_PREFIX) || this.sessions.has(channel.id) || this.stopped) return;
    if (!this.arrivals.has(channel.id)) this.arrivals.set(channel.id, this.deps.clock.now());
    if (!this.recovered) {
      this.early.push(event);
      return;
    }
    const session = this.openSession(channel);
    this.closeSessionAfter(session, this.visit(session, event.args));
  }

  private visit(session: CallSession, args: readonly string[]): Promise<void> {
    const { manager } = this.deps;
    if (this.draining) return manager.turnAway(session);
    // An Asterisk-mixed conference lives in one bridge on one node: a caller who came in elsewhere goes there
    // before anything is played (a redirect before the answer is a 302, after it a REFER).
    const number = parseStasisArgs(args).confno;
    const home = number === undefined ? undefined : this.deps.homeOf(number);
    if (number !== undefined && home !== undefined && home !== this.id)
      return this.deps
        .move(session, home, number)
        .then(() => session.hangup())
        .catch(() => undefined);
    const { elsewhere } = this.deps;
    if (number !== undefined && elsewhere)
      return elsewhere(session, number)
        .then((moved) => (moved ? session.hangup() : manager.handleCaller(session, args)))
        .catch(() => session.hangup().catch(() => undefined));
    return manager.handleCaller(session, args);
  }

  private openSession(channel: Channel): CallSession {
    const session = new CallSession(
      this.ari,
      channel.id,
      channel.caller.name,
      channel.caller.number,
      this.deps.clock,
      this.log.child({ channel: channel.id }),
      this.id,
      channel.name,
    );
    this.sessions.set(channel.id, session);
    return session;
  }

  /** Every session, new or adopted, is released when the caller's visit ends. */
  private closeSessionAfter(session: CallSession, visit: Promise<void>): void {
    void visit.finally(() => {
      session.dispose();
      this.arrivals.delete(session.channelId);
      if (this.sessions.get(session.channelId) === session) this.sessions.delete(session.channelId);
    });
  }

  private async onConnected(reconnect: boolean): Promise<void> {
    this.health.connected();
    try {
      await this.probe.refresh();
      await this.checkSipLegs();
      this.chooseAutoMixer();
      if (!this.recovered) {
        await this.recover();
        this.takeEarly();
      } else if (reconnect) await this.reconcile();
    } catch (error) {
      this.log.error({ err: errorMessage(error) }, 'reading Asterisk state after connecting failed');
      // Take callers anyway: leftovers of a previous run are less harm than refusing everyone.
      if (!this.recovered) this.takeEarly();
    }
  }

  private takeEarly(): void {
    this.recovered = true;
    for (const event of this.early.splice(0)) this.onStasisStart(event);
  }

  /** `mixer.default: auto` for this node: the cheapest correct mixer for what its Asterisk has now (autoMixer.ts). */
  get autoMixer(): MixerKind {
    return this.autoChoice?.mixer ?? 'app';
  }

  private chooseAutoMixer(): void {
    const facts = { timing: this.asteriskMixer.availability().ok, sipLegs: this.sipLegsReady, directMedia: this.sipDirectMedia };
    const choice = chooseMixer(facts);
    if (choice.mixer !== this.autoChoice?.mixer)
      this.log.info({ mixer: choice.mixer, ...facts }, `mixer auto: ${choice.mixer} (${choice.why})`);
    this.autoChoice = choice;
  }

  /**
   * direct_media of the SIP media endpoint, from its sorcery object (GET /asterisk/config/dynamic/res_pjsip/endpoint/ID
   * lists every attribute of a pjsip.conf endpoint). Unreadable counts as off: the app then assumes Asterisk relays.
   */
  private async readDirectMedia(endpoint: string): Promise<boolean> {
    try {
      const fields = await this.ari.rest.asterisk.getObject({ configClass: 'res_pjsip', objectType: 'endpoint', id: endpoint });
      return fields.some((f) => f.attribute === 'direct_media' && /^(true|yes|1)$/i.test(f.value));
    } catch (error) {
      this.log.warn({ endpoint, err: errorMessage(error) }, 'could not read direct_media of the SIP media endpoint: taken as off');
      return false;
    }
  }

  /** SIP media legs need their PJSIP endpoint in Asterisk; without it legs are externalMedia (and cost more). */
  private async checkSipLegs(): Promise<void> {
    const endpoint = this.deps.sipEndpoint;
    if (!this.deps.sipLegs || !endpoint) return;
    try {
      await this.ari.rest.endpoints.get({ tech: 'PJSIP', resource: endpoint });
      this.sipLegsReady = true;
      this.sipDirectMedia = await this.readDirectMedia(endpoint);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      this.sipLegsReady = false;
      this.sipDirectMedia = false;
      this.log.warn(
        { endpoint },
        'Asterisk has no PJSIP endpoint for SIP media legs: callers use externalMedia legs (simple_bridge, about 2.7x the CPU); add it from asterisk-conf/pjsip.conf',
      );
    }
  }

  /**
   * First connection (and the first after the node was lost): callers a previous run left in our bridges are
   * adopted; its bridges and media channels are removed. Unbridged Stasis channels were mid-prompt: they are hung
   * up after a grace period, unless their StasisStart turns up meanwhile (a new caller whose event lost the race with GET /channels).
   */
  private async recover(): Promise<void> {
    const plan = await readRecoveryPlan(this.ari, new Set([...this.sessions.keys(), ...this.early.map((e) => e.channel.id)]));
    const orphans = plan.hangup;
    const spare = this.asteriskMixer.offer(plan.conferenceBridges);
    await clearStale(this.ari, { ...plan, hangup: [], bridges: [...plan.bridges, ...spare] }, this.log);
    /** Parts already seen here, and whether Asterisk still records them: every caller of a conference carries the same. */
    const seen = new Map<string, boolean>();
    for (const { channel, conferenceNumber } of plan.adopt) {
      const session = this.openSession(channel);
      // A conference another instance runs now: the caller goes there rather than open a second one here.
      if (await this.deps.elsewhere?.(session, conferenceNumber).catch(() => false)) {
        this.closeSessionAfter(
          session,
          session.hangup().catch(() => undefined),
        );
        continue;
      }
      const [state, saved] = await Promise.all([
        readParticipantState(this.ari, channel.id).catch((error: unknown): Partial<ParticipantState> => {
          this.log.warn(
            { channel: channel.id, err: errorMessage(error) },
            'reading the saved participant state failed: adopted as a plain user',
          );
          return {};
        }),
        readRecordingState(this.ari, channel.id).catch((error: unknown): SavedRecordings => {
          this.log.warn({ channel: channel.id, err: errorMessage(error) }, 'reading the saved recording state failed: not continued');
          return {};
        }),
      ]);
      const { talkGain, listenGain, ...kept } = state;
      const resume = {
        ...(talkGain !== undefined ? { talkGain } : {}),
        ...(listenGain !== undefined ? { listenGain } : {}),
        ...(await this.continued(saved.conference, conferenceNumber, seen, 'recording')),
        ...(await this.continued(saved.own, conferenceNumber, seen, 'ownRecording')),
      };
      // Their own options (music when alone, wait for the leader...) are in the Stasis arguments they came with.
      const callerOptions = parseStasisArgs((channel.dialplan?.app_data ?? '').split(',').slice(1)).options;
      const adopted = await this.deps.manager
        .adopt(conferenceNumber, session, { ...kept, callerOptions, resume })
        .catch((error: unknown) => {
          this.log.error({ channel: channel.id, err: errorMessage(error) }, 'adopting the caller failed: hung up');
          return { visit: session.hangup() };
        });
      this.closeSessionAfter(session, adopted.visit);
    }
    const unclaimed = this.asteriskMixer.unclaimed();
    if (unclaimed.length > 0)
      await Promise.all(unclaimed.map((bridgeId) => ignoreGone(this.ari.rest.bridges.destroy({ bridgeId })))).catch((error: unknown) =>
        this.log.warn({ err: errorMessage(error) }, 'destroying conference bridges left by a previous run failed'),
      );
    if (orphans.length > 0) {
      this.deps.clock.setTimeout(() => {
        const stale = orphans.filter((c) => !this.sessions.has(c.id));
        void clearStale(this.ari, { adopt: [], bridges: [], conferenceBridges: [], mediaChannels: [], hangup: stale }, this.log).catch(
          (error: unknown) => this.log.warn({ err: errorMessage(error) }, 'hanging up channels left by a previous run failed'),
        );
      }, ORPHAN_GRACE_MS);
    }
  }

  /**
   * A recording part a caller's channel says was running in their conference. An Asterisk bridge recording Asterisk
   * still makes goes on: it is put in the index as running, to be taken over with its bridge. Any other part (the app
   * mixer's, whose writer died) is ended in the index once, its file repaired, and continues in the next part.
   */
  private async continued<K extends 'recording' | 'ownRecording'>(
    part: SavedPart | undefined,
    number: string,
    seen: Map<string, boolean>,
    key: K,
  ): Promise<Partial<Record<K, RecordingPartRef>>> {
    // A part of another conference (the caller was in one before this) is not this conference's to continue.
    if (!part || part.conference !== number) return {};
    let running = seen.get(part.name);
    if (running === undefined) {
      running = part.location === 'asterisk' && (await this.stillRecording(part.name));
      seen.set(part.name, running);
      const done = running ? this.deps.parts.adopted(part) : this.deps.parts.interrupted(part);
      done.catch((error: unknown) =>
        this.log.warn({ recording: part.name, err: errorMessage(error) }, 'updating an interrupted recording part failed'),
      );
    }
    const ref: RecordingPartRef = { session: part.session, part: part.part, running, ...(part.paused ? { paused: true } : {}) };
    return { [key]: ref } as Partial<Record<K, RecordingPartRef>>;
  }

  /** Whether Asterisk still records `name` (a bridge recording outlives the app); unknown counts as no (a new part). */
  private async stillRecording(name: string): Promise<boolean> {
    try {
      return (await liveRecording(this.ari, name)) !== undefined;
    } catch (error) {
      this.log.warn({ recording: name, err: errorMessage(error) }, 'could not ask Asterisk about a recording: continued in a new part');
      return false;
    }
  }

  /**
   * Events were lost while the socket was down: state is read back and repaired. First every mixer learns what
   * Asterisk no longer has, so that no teardown below asks about it (after an Asterisk restart: nothing at all);
   * then callers who left are let go; then conferences whose bridge is gone end and broken legs are reported lost.
   */
  private async reconcile(): Promise<void> {
    const inventory = await readInventory(this.ari);
    this.deps.appMixer.forgetGone(this.id, inventory);
    this.asteriskMixer.forgetGone(inventory);
    let gone = 0;
    for (const [id, session] of this.sessions) {
      if (!session.gone && !inventory.channels.has(id)) {
        session.markGone();
        gone++;
      }
    }
    this.deps.appMixer.reconcile(this.id, inventory);
    this.asteriskMixer.reconcile(inventory);
    this.log.info(
      { channels: inventory.channels.size, bridges: inventory.bridges.size, callersGone: gone },
      'reconciled with Asterisk after reconnect',
    );
  }

  /**
   * The node is out of reach (for `downAfterMs`) or handed over: its callers leave their conferences with
   * `reason`, and nothing is asked of its Asterisk any more. When it comes back it is recovered as at start:
   * callers still in our bridges are adopted, the rest of what we left there is removed.
   */
  private release(reason: string): void {
    this.recovered = false;
    this.deps.appMixer.forgetGone(this.id, NOTHING);
    this.asteriskMixer.forgetGone(NOTHING);
    const sessions = [...this.sessions.values()];
    for (const session of sessions) session.markGone(reason);
    this.asteriskMixer.reconcile(NOTHING);
    if (sessions.length > 0) this.log.warn({ callers: sessions.length, reason }, 'callers of the node let go');
  }

  private lost(): void {
    this.release(`node ${this.id} lost: no events socket for ${this.deps.settings.downAfterMs} ms`);
  }

  /** Lets go of the node (app stop, or another instance takes it over): its callers are not hung up here. */
  async stop(reason = 'node stopped'): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.health.stopped();
    this.release(reason);
    for (const dispose of this.disposers.splice(0)) dispose();
    await this.ari.close();
  }
}
