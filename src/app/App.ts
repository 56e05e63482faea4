import { AriClient, type Channel, type StasisStart } from '../ari';
import type { Config } from '../config/schema';
import { ConferenceManager } from '../conference/ConferenceManager';
import { DEFAULT_MENUS } from '../conference/menus';
import { systemClock, type Clock } from '../lib/clock';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { mkdir } from 'node:fs/promises';
import { MediaThreads, defaultThreadCount } from '../media';
import { AriDialer } from './AriDialer';
import { AppMixer } from './mixers/AppMixer';
import { readInventory } from './inventory';
import { Metrics } from './metrics';
import { readiness, type Readiness } from './readiness';
import { CallSession } from './CallSession';
import { staticDefinition } from './directory';
import { Store } from '../store/Store';
import { DefinitionStore } from '../store/DefinitionStore';
import { RecordingsIndex } from '../store/RecordingsIndex';
import { stat } from 'node:fs/promises';
import { AsteriskBridgeMixer, type RecordingSink } from './mixers/AsteriskBridgeMixer';
import { TimingProbe } from './mixers/TimingProbe';
import { SipLegs } from './mixers/SipLegs';
import { isNotFound } from '../ari';
import { MEDIA_CHANNEL_PREFIX } from './names';
import { clearStale, readRecoveryPlan } from './Recovery';
import { persistParticipantState, readParticipantState } from './participantState';
import { Capacity } from './capacity/Capacity';
import { singleNodeDrain } from './capacity/singleNodeDrain';
import { BrowserGateway } from '../webrtc/BrowserGateway';
import { JoinLinks } from '../webrtc/JoinLinks';

/** How long an unbridged Stasis channel found at start may take to show its StasisStart before it is hung up. */
const ORPHAN_GRACE_MS = 2000;

/** An address of this host to reach a socket bound to `bind` (a wildcard bind is reached on loopback). */
function localAddress(bind: string): string {
  return bind === '0.0.0.0' ? '127.0.0.1' : bind;
}

export interface AppDeps {
  config: Readonly<Config>;
  logger: Logger;
  clock?: Clock;
}

/**
 * The composition root for one Asterisk server: ARI client, mixers, conference manager.
 * Callers arrive as StasisStart; after every reconnect the state is read back from Asterisk.
 */
export class MeetmeApp {
  readonly ari: AriClient;
  readonly manager: ConferenceManager;
  readonly probe: TimingProbe;
  private readonly asteriskMixer: AsteriskBridgeMixer;
  private readonly appMixer: AppMixer;
  readonly engine: MediaThreads;
  readonly metrics: Metrics;
  readonly store: Store;
  readonly definitions: DefinitionStore;
  readonly recordings: RecordingsIndex;
  readonly capacity: Capacity;
  /** Browsers joining with a link; undefined when `webrtc.enabled` is false. */
  readonly browsers: { links: JoinLinks; gateway: BrowserGateway } | undefined;
  private readonly sessions = new Map<string, CallSession>();
  /** When each caller's StasisStart came, until they are in the mix (meetme_join_seconds). */
  private readonly arrivals = new Map<string, number>();
  /** Every subscription the app made, released on stop. */
  private readonly disposers: (() => void)[] = [];
  private readonly sipLegs: SipLegs | undefined;
  /** Whether Asterisk has the PJSIP endpoint for SIP media legs; read at each connect. */
  private sipLegsReady = false;
  private readonly log: Logger;
  private readonly clock: Clock;
  private stopped = false;
  private recovered = false;
  /** Callers who arrive while a previous run's state is read back wait here, so recovery never takes them for leftovers. */
  private readonly early: StasisStart[] = [];

  constructor(private readonly deps: AppDeps) {
    const { config } = deps;
    this.log = deps.logger;
    this.clock = deps.clock ?? systemClock;
    this.ari = new AriClient({
      url: config.ari.url,
      username: config.ari.username,
      password: config.ari.password,
      app: config.ari.app,
      nodeId: config.ari.nodeId,
      requestTimeoutMs: config.ari.requestTimeoutMs,
      maxConnections: config.ari.maxConnections,
      logger: this.log.child({ component: 'ari' }),
    });
    this.probe = new TimingProbe(this.ari, this.log);
    this.store = new Store(config.store.path);
    this.definitions = new DefinitionStore(this.store, config.conferences.map(staticDefinition));
    this.recordings = new RecordingsIndex(this.store);
    const recordings: RecordingSink = {
      started: (info) => {
        this.log.info(info, 'recording started');
        this.recordings.started({ name: info.name, conference: info.conferenceNumber, location: info.location, path: info.path });
      },
      stopped: (name) => {
        const entry = this.recordings.find(name);
        const size =
          entry?.location === 'local'
            ? stat(entry.path).then(
                (s) => s.size,
                () => undefined,
              )
            : Promise.resolve(undefined);
        void size.then((sizeBytes) => this.recordings.stopped(name, { sizeBytes }));
        this.log.info({ name }, 'recording stopped');
      },
    };
    this.asteriskMixer = new AsteriskBridgeMixer({ ari: this.ari, probe: this.probe, clock: this.clock, logger: this.log, recordings });
    this.engine = new MediaThreads({
      threads: config.media.threads ?? defaultThreadCount(),
      bindAddress: config.media.bindAddress,
      port: config.media.port,
      soundsDir: config.media.soundsDir,
      musicDir: config.media.musicDir,
      tickLeadMs: config.media.tickLeadMs,
      logger: this.log,
    });
    const advertise = config.media.advertiseAddress ?? config.media.bindAddress;
    this.sipLegs = config.media.sipEndpoint
      ? new SipLegs({
          endpoint: config.media.sipEndpoint,
          bindAddress: config.media.bindAddress,
          advertiseAddress: advertise,
          port: config.media.sipPort,
        })
      : undefined;
    this.appMixer = new AppMixer({
      ari: this.ari,
      sipLegs: () => (this.sipLegsReady ? this.sipLegs : undefined),
      engine: this.engine,
      clock: this.clock,
      externalHost: (port) => `${advertise}:${port}`,
      recordingsDir: config.recordings.dir,
      recordings,
      logger: this.log,
      directHost: localAddress(config.media.bindAddress),
    });
    this.manager = new ConferenceManager({
      nodeId: config.ari.nodeId,
      directory: this.definitions,
      backends: { asterisk: this.asteriskMixer, app: this.appMixer },
      defaultMixer: config.mixer.default,
      dynamic: config.dynamic,
      dialer: new AriDialer(this.ari),
      clock: this.clock,
      logger: this.log,
      limits: config.limits,
      prompts: config.prompts,
      menus: {
        user: config.menus.user ?? DEFAULT_MENUS.user,
        admin: config.menus.admin ?? DEFAULT_MENUS.admin,
        timeoutMs: config.menus.timeoutMs ?? DEFAULT_MENUS.timeoutMs,
      },
    });
    this.metrics = new Metrics({
      nodeId: config.ari.nodeId,
      conferences: () => this.manager.list(),
      ari: () => this.ari.stats(),
      rtp: () => this.engine.stats(),
      mediaThreads: () => this.engine.report(),
    });
    this.capacity = new Capacity({
      settings: config.capacity,
      nodeId: config.ari.nodeId,
      store: this.store,
      control: this.manager,
      directory: this.definitions,
      drain: singleNodeDrain(config.ari.nodeId, this.manager),
      clock: this.clock,
      logger: this.log,
      registry: this.metrics.registry,
    });
    const { webrtc } = config;
    this.browsers = webrtc.enabled
      ? {
          links: new JoinLinks(webrtc.tokenSecret, webrtc.maxLinkSeconds),
          gateway: new BrowserGateway({
            admit: (line, claims) =>
              this.manager.admit(line, claims.conference, { pinIncluded: claims.pin === 'included', admin: claims.admin }),
            control: this.manager,
            logger: this.log.child({ component: 'webrtc' }),
            peer: {
              iceServers: webrtc.iceServers,
              portRange: [webrtc.portMin, webrtc.portMax],
              address: webrtc.address,
              bindAddress: webrtc.bindAddress,
              relayAddress: localAddress(config.media.bindAddress),
              mediaTimeoutMs: webrtc.mediaTimeoutMs,
              connectTimeoutMs: 10_000,
            },
          }),
        }
      : undefined;
    this.disposers.push(
      // Each media thread sends its ticks' figures twice a second; observed here, where the metrics live.
      this.engine.events.subscribe('ticks', (lateness, micros) => {
        for (let i = 0; i < lateness.length; i++) this.metrics.tick(lateness[i] as number, micros[i] as number);
      }),
      this.manager.events.subscribe('event', (event) => {
        if (event.type !== 'participant.joined') return;
        const arrived = this.arrivals.get(event.participant.channelId);
        this.arrivals.delete(event.participant.channelId);
        if (arrived !== undefined) this.metrics.joined((this.clock.now() - arrived) / 1000);
      }),
      persistParticipantState(this.ari, this.manager, this.log),
      this.ari.onStasisStart((event) => this.onStasisStart(event)),
      this.ari.events.subscribe('connected', ({ reconnect }) => void this.onConnected(reconnect)),
    );
  }

  /** Connects to Asterisk (retrying in the background until it answers). */
  async start(): Promise<void> {
    await mkdir(this.deps.config.recordings.dir, { recursive: true });
    const ports = await this.engine.start();
    this.log.info({ address: this.deps.config.media.bindAddress, ports }, 'RTP for the app mixer: one port per media thread');
    this.capacity.start();
    if (this.sipLegs) this.log.info({ port: await this.sipLegs.start() }, 'SIP answerer for media legs');
    await this.ari.connect();
  }

  get recordingsDir(): string {
    return this.deps.config.recordings.dir;
  }

  get ready(): boolean {
    return this.readiness().ready;
  }

  readiness(): Readiness {
    return readiness({
      ariConnected: this.ari.connected,
      recovered: this.recovered,
      timerHealthy: this.engine.healthy(),
      draining: this.manager.draining,
    });
  }

  private onStasisStart(event: StasisStart): void {
    const channel = event.channel;
    // Our own channels (externalMedia) are routed to whoever created them.
    if (channel.id.startsWith(MEDIA_CHANNEL_PREFIX) || this.sessions.has(channel.id) || this.stopped) return;
    if (!this.arrivals.has(channel.id)) this.arrivals.set(channel.id, this.clock.now());
    if (!this.recovered) {
      this.early.push(event);
      return;
    }
    const session = this.openSession(channel);
    this.closeSessionAfter(session, this.manager.handleCaller(session, event.args));
  }

  private openSession(channel: Channel): CallSession {
    const session = new CallSession(
      this.ari,
      channel.id,
      channel.caller.name,
      channel.caller.number,
      this.clock,
      this.log.child({ channel: channel.id }),
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
    try {
      await this.probe.refresh();
      await this.checkSipLegs();
      if (!this.recovered) {
        await this.recover();
        this.recovered = true;
        for (const event of this.early.splice(0)) this.onStasisStart(event);
      } else if (reconnect) await this.reconcile();
    } catch (error) {
      this.log.error({ err: errorMessage(error) }, 'reading Asterisk state after connecting failed');
      if (!this.recovered) {
        // Take callers anyway: leftovers of a previous run are less harm than refusing everyone.
        this.recovered = true;
        for (const event of this.early.splice(0)) this.onStasisStart(event);
      }
    }
  }

  /** SIP media legs need their PJSIP endpoint in Asterisk; without it legs are externalMedia (and cost more). */
  private async checkSipLegs(): Promise<void> {
    const endpoint = this.deps.config.media.sipEndpoint;
    if (!this.sipLegs || !endpoint) return;
    try {
      await this.ari.rest.endpoints.get({ tech: 'PJSIP', resource: endpoint });
      this.sipLegsReady = true;
    } catch (error) {
      if (!isNotFound(error)) throw error;
      this.sipLegsReady = false;
      this.log.warn(
        { endpoint },
        'Asterisk has no PJSIP endpoint for SIP media legs: callers use externalMedia legs (simple_bridge, about 2.7x the CPU); add it from asterisk-conf/pjsip.conf',
      );
    }
  }

  /**
   * First connection: callers a previous run left in our bridges are adopted; its bridges and media
   * channels are removed. Unbridged Stasis channels were mid-prompt: they are hung up after a grace
   * period, unless their StasisStart turns up meanwhile (a new caller whose event lost the race with GET /channels).
   */
  private async recover(): Promise<void> {
    const plan = await readRecoveryPlan(this.ari, new Set([...this.sessions.keys(), ...this.early.map((e) => e.channel.id)]));
    const orphans = plan.hangup;
    await clearStale(this.ari, { ...plan, hangup: [] }, this.log);
    for (const { channel, conferenceNumber } of plan.adopt) {
      const session = this.openSession(channel);
      const state = await readParticipantState(this.ari, channel.id).catch((error: unknown) => {
        this.log.warn(
          { channel: channel.id, err: errorMessage(error) },
          'reading the saved participant state failed: adopted as a plain user',
        );
        return {};
      });
      const adopted = await this.manager.adopt(conferenceNumber, session, state).catch((error: unknown) => {
        this.log.error({ channel: channel.id, err: errorMessage(error) }, 'adopting the caller failed: hung up');
        return { visit: session.hangup() };
      });
      this.closeSessionAfter(session, adopted.visit);
    }
    if (orphans.length > 0) {
      this.clock.setTimeout(() => {
        const stale = orphans.filter((c) => !this.sessions.has(c.id));
        void clearStale(this.ari, { adopt: [], bridges: [], mediaChannels: [], hangup: stale }, this.log).catch((error: unknown) =>
          this.log.warn({ err: errorMessage(error) }, 'hanging up channels left by a previous run failed'),
        );
      }, ORPHAN_GRACE_MS);
    }
  }

  /**
   * Events were lost while the socket was down: state is read back and repaired. First every mixer learns what
   * Asterisk no longer has, so that no teardown below asks about it (after an Asterisk restart: nothing at all);
   * then callers who left are let go; then conferences whose bridge is gone end and broken legs are reported lost.
   */
  private async reconcile(): Promise<void> {
    const inventory = await readInventory(this.ari);
    this.appMixer.forgetGone(inventory);
    this.asteriskMixer.forgetGone(inventory);
    let gone = 0;
    for (const [id, session] of this.sessions) {
      if (!session.gone && !inventory.channels.has(id)) {
        session.markGone();
        gone++;
      }
    }
    this.appMixer.reconcile(inventory);
    this.asteriskMixer.reconcile(inventory);
    this.log.info(
      { channels: inventory.channels.size, bridges: inventory.bridges.size, callersGone: gone },
      'reconciled with Asterisk after reconnect',
    );
  }

  /** What the app holds now, for probes and tests: callers with a session, and callers still on their way in. */
  diagnostics(): { callers: number; arriving: number } {
    return { callers: this.sessions.size, arriving: this.arrivals.size };
  }

  /** Stops taking callers; conferences go on. */
  drain(): void {
    this.manager.drain();
  }

  async stop(reason = 'shutdown'): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const dispose of this.disposers.splice(0)) dispose();
    this.browsers?.gateway.close();
    await this.manager.shutdown(reason);
    await this.ari.close();
    await this.engine.close();
    this.capacity.stop();
    this.sipLegs?.close();
    this.store.close();
  }
}
