import type { AriClient } from '../ari';
import type { Config } from '../config/schema';
import { ConferenceManager } from '../conference/ConferenceManager';
import { DEFAULT_MENUS } from '../conference/menus';
import { systemClock, type Clock } from '../lib/clock';
import type { Logger } from '../lib/logger';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MediaThreads, defaultThreadCount, repairWav } from '../media';
import type { RecordingParts, SavedPart } from './recordingState';
import { ClusterDialer } from './AriDialer';
import { AppMixer } from './mixers/AppMixer';
import { Metrics } from './metrics';
import { readiness, type Readiness } from './readiness';
import type { CallSession } from './CallSession';
import { NameClips } from './NameClips';
import { staticDefinition } from './directory';
import { Store } from '../store/Store';
import { DefinitionStore } from '../store/DefinitionStore';
import { RecordingsIndex, type StartedPart } from '../store/RecordingsIndex';
import type { SharedStore } from '../store/SharedStore';
import { stat } from 'node:fs/promises';
import { errorMessage } from '../lib/errors';
import type { RecordingSink } from './mixers/AsteriskBridgeMixer';
import { SipLegs } from './mixers/SipLegs';
import { Capacity } from './capacity/Capacity';
import { Cluster } from '../cluster/Cluster';
import { nodeSettings, type NodeSettings } from '../cluster/nodes';
import { PlacedMixer } from '../cluster/placement';
import { AsteriskNode } from './AsteriskNode';
import { moveCaller } from './moveCaller';
import { claimedBackend, type ClaimAnswer, type ConferenceClaimPort } from './claims';
import { BrowserGateway } from '../webrtc/BrowserGateway';
import { JoinLinks } from '../webrtc/JoinLinks';

/** An address of this host to reach a socket bound to `bind` (a wildcard bind is reached on loopback). */
function localAddress(bind: string): string {
  return bind === '0.0.0.0' ? '127.0.0.1' : bind;
}

/**
 * What lets this app act for a node at all (a lease per node, see src/ha): every ARI request and events socket
 * open of a node calls `guard(node)`, and the media threads mix and send only before the shared deadline. With
 * a fence, nodes are not started from the config: each joins with `addNode` when its lease is taken.
 */
export interface RuntimeFence {
  guard(node: string): void;
  sendDeadline: SharedArrayBuffer;
}

export interface AppDeps {
  config: Readonly<Config>;
  logger: Logger;
  clock?: Clock;
  fence?: RuntimeFence;
  /** The shared PostgreSQL store (`store.url`), connected; without it the SQLite file of `store.path`. */
  shared?: SharedStore;
  /** One holder per conference across instances (src/ha): without it every conference is this app's. */
  claims?: ConferenceClaimPort;
}

/**
 * The composition root: the conferences, the media engine, the store and the API's sources, shared by every
 * Asterisk server it drives (`nodes:`, or the one of `ari:`). Each server is an AsteriskNode in the cluster, with
 * its own ARI connection, recovery and reconciliation; nodes are added and removed while the app runs.
 */
export class MeetmeApp {
  readonly manager: ConferenceManager;
  readonly cluster = new Cluster<AsteriskNode>();
  private readonly appMixer: AppMixer;
  private readonly placed: PlacedMixer;
  private readonly recordingSink: RecordingSink;
  private readonly parts: RecordingParts;
  readonly engine: MediaThreads;
  readonly metrics: Metrics;
  readonly store: Store;
  readonly definitions: DefinitionStore;
  readonly recordings: RecordingsIndex;
  readonly capacity: Capacity;
  /** Browsers joining with a link; undefined when `webrtc.enabled` is false. */
  readonly browsers: { links: JoinLinks; gateway: BrowserGateway } | undefined;
  /** Every subscription the app made, released on stop. */
  private readonly disposers: (() => void)[] = [];
  private readonly sipLegs: SipLegs | undefined;
  private readonly log: Logger;
  private readonly clock: Clock;
  private stopped = false;

  constructor(private readonly deps: AppDeps) {
    const { config } = deps;
    this.log = deps.logger;
    this.clock = deps.clock ?? systemClock;
    this.store = deps.shared?.cache ?? new Store(config.store.path);
    this.definitions = new DefinitionStore(this.store, config.conferences.map(staticDefinition), deps.shared);
    this.recordings = new RecordingsIndex(this.store, deps.shared);
    const recordings: RecordingSink = {
      started: (info) => {
        this.log.info(info, 'recording started');
        this.recordings.started({
          name: info.name,
          conference: info.conferenceNumber,
          location: info.location,
          path: info.path,
          ...(info.participantId !== undefined ? { participant: info.participantId } : {}),
          ...(info.session !== undefined ? { session: info.session } : {}),
          ...(info.part !== undefined ? { part: info.part } : {}),
          ...(info.node !== undefined ? { node: info.node } : {}),
        });
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
      interrupted: (name) => {
        const part = this.parts.lookup(name);
        if (part)
          this.interrupted(part).catch((error: unknown) =>
            this.log.warn({ recording: name, err: errorMessage(error) }, 'ending an interrupted recording part failed'),
          );
      },
    };
    this.recordingSink = recordings;
    this.parts = {
      lookup: (name) => {
        const e = this.recordings.find(name);
        if (!e) return undefined;
        const { conference, session, part, startedAt, location, path, node, participant } = e;
        return { name, conference, session, part, startedAt, location, path, node, participant };
      },
      interrupted: (part) => this.interrupted(part),
      adopted: async (part) => this.recordings.started(this.partEntry(part)),
    };
    this.engine = new MediaThreads({
      threads: config.media.threads ?? defaultThreadCount(),
      bindAddress: config.media.bindAddress,
      port: config.media.port,
      soundsDir: config.media.soundsDir,
      musicDir: config.media.musicDir,
      tickLeadMs: config.media.tickLeadMs,
      ...(deps.fence ? { sendDeadline: deps.fence.sendDeadline } : {}),
      logger: this.log,
    });
    const advertise = config.media.advertiseAddress ?? config.media.bindAddress;
    // A name is stored by the Asterisk its caller came in on.
    const clips = new NameClips(
      (nodeId) => (nodeId === undefined ? undefined : this.cluster.get(nodeId)?.ari),
      join(config.recordings.dir, 'names'),
    );
    this.sipLegs = config.media.sipEndpoint
      ? new SipLegs({
          endpoint: config.media.sipEndpoint,
          bindAddress: config.media.bindAddress,
          advertiseAddress: advertise,
          port: config.media.sipPort,
        })
      : undefined;
    this.appMixer = new AppMixer({
      engine: this.engine,
      clock: this.clock,
      nodeFor: (caller) => (caller.nodeId === undefined ? undefined : this.cluster.get(caller.nodeId)?.media),
      recordingsDir: config.recordings.dir,
      recordings,
      clipPath: (name) => clips.path(name),
      logger: this.log,
      directHost: localAddress(config.media.bindAddress),
    });
    this.placed = new PlacedMixer({
      backend: (id) => this.cluster.get(id)?.asteriskMixer,
      backends: () => this.cluster.all().map((n) => n.asteriskMixer),
      move: (caller, toNode, number) => this.move(caller as CallSession, toNode, number),
    });
    this.manager = new ConferenceManager({
      nodeId: this.firstNode.id,
      directory: this.definitions,
      backends: deps.claims
        ? { asterisk: claimedBackend(this.placed, deps.claims), app: claimedBackend(this.appMixer, deps.claims) }
        : { asterisk: this.placed, app: this.appMixer },
      // auto: the first node's choice (every node of one app is set up alike; see autoMixer.ts for the rule).
      defaultMixer: config.mixer.default === 'auto' ? () => this.cluster.get(this.firstNode.id)?.autoMixer ?? 'app' : config.mixer.default,
      dynamic: config.dynamic,
      dialer: new ClusterDialer(() => this.cluster.pick()?.ari),
      clock: this.clock,
      logger: this.log,
      limits: config.limits,
      prompts: config.prompts,
      clips,
      menus: {
        user: config.menus.user ?? DEFAULT_MENUS.user,
        admin: config.menus.admin ?? DEFAULT_MENUS.admin,
        timeoutMs: config.menus.timeoutMs ?? DEFAULT_MENUS.timeoutMs,
      },
    });
    this.metrics = new Metrics({
      nodes: () => this.cluster.all().map((n) => ({ id: n.id, up: n.health.state === 'up', ...n.ari.stats() })),
      conferences: () => this.manager.list(),
      rtp: () => this.engine.stats(),
      mediaThreads: () => this.engine.report(),
    });
    this.capacity = new Capacity({
      settings: config.capacity,
      nodeId: this.firstNode.id,
      store: this.store,
      control: this.manager,
      directory: this.definitions,
      drain: this.cluster,
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
    );
    if (!deps.fence) for (const settings of this.nodeList) this.cluster.register(this.makeNode(settings));
  }

  /** The nodes the config names, in order; the first is the one-node case's (`ari:`). */
  private get nodeList(): NodeSettings[] {
    return nodeSettings(this.deps.config);
  }

  private get firstNode(): NodeSettings {
    return this.nodeList[0] as NodeSettings;
  }

  private makeNode(settings: NodeSettings): AsteriskNode {
    return new AsteriskNode({
      settings,
      manager: this.manager,
      appMixer: this.appMixer,
      sipLegs: this.sipLegs,
      sipEndpoint: this.deps.config.media.sipEndpoint,
      recordings: this.recordingSink,
      parts: this.parts,
      homeOf: (number) => this.placed.homeOf(number),
      move: (caller, toNode, number) => this.move(caller, toNode, number),
      ...(this.deps.claims ? { elsewhere: (caller: CallSession, number: string) => this.elsewhere(caller, number) } : {}),
      joined: (seconds) => this.metrics.joined(seconds),
      clock: this.clock,
      logger: this.log,
      ...(this.deps.fence ? { guard: () => this.deps.fence?.guard(settings.id) } : {}),
    });
  }

  /**
   * A recording part whose writer died with its instance: the WAV's header is made to agree with its data (a killed
   * writer's lags behind it) and the part is ended in the index, with what the file holds.
   */
  private async interrupted(part: SavedPart): Promise<void> {
    const wav = part.location === 'local' ? await repairWav(part.path) : undefined;
    const facts = wav ? { sizeBytes: 44 + wav.dataBytes, durationSeconds: wav.dataBytes / 2 / wav.sampleRate } : {};
    this.recordings.interrupted(this.partEntry(part), facts);
    this.log.info({ name: part.name, ...facts }, 'recording part ended: its writer had gone (a takeover, a media thread restart)');
  }

  private partEntry(part: SavedPart): StartedPart & { startedAt: string } {
    const { name, conference, location, path, startedAt, session } = part;
    return {
      name,
      conference,
      location,
      path,
      startedAt,
      session,
      part: part.part,
      ...(part.node !== null ? { node: part.node } : {}),
      ...(part.participant !== null ? { participant: part.participant } : {}),
    };
  }

  /** Starts driving another Asterisk server while the app runs (a lease won, a node scaled in). */
  async addNode(settings: NodeSettings): Promise<void> {
    await this.cluster.add(this.makeNode(settings));
  }

  /** Stops driving a node: its callers leave their conferences here, its Asterisk is asked nothing more. */
  async removeNode(id: string, reason = `node ${id} removed`): Promise<void> {
    await this.cluster.remove(id, reason);
  }

  /** An Asterisk-mixed conference's caller on the wrong node: redirected to its home, or told it cannot be done. */
  private move(caller: CallSession, toNode: string, number: string): Promise<boolean> {
    const from = caller.nodeId === undefined ? undefined : this.cluster.get(caller.nodeId);
    return moveCaller({
      caller,
      ari: from?.ari,
      to: { id: toNode, redirectUri: this.cluster.get(toNode)?.settings.redirectUri },
      number,
      prompt: this.manager.prompts.otherNode,
      logger: this.log,
    });
  }

  /**
   * A conference another instance holds (its claim, src/ha): the caller is sent to a node that instance drives, or
   * hears `otherNode` when that cannot be done. False when the conference is this instance's to run.
   */
  private async elsewhere(caller: CallSession, number: string): Promise<boolean> {
    const unknown: ClaimAnswer = { held: false, holder: undefined, redirectUri: undefined };
    const answer = (await this.deps.claims?.claim(number).catch(() => unknown)) ?? unknown;
    if (answer.held) return false;
    const from = caller.nodeId === undefined ? undefined : this.cluster.get(caller.nodeId);
    await moveCaller({
      caller,
      ari: from?.ari,
      to: { id: `instance ${answer.holder ?? '(unknown)'}`, redirectUri: answer.redirectUri },
      number,
      prompt: this.manager.prompts.otherNode,
      logger: this.log,
    });
    return true;
  }

  /** The first node's ARI client: the one Asterisk of a one-node setup. */
  get ari(): AriClient {
    return (this.cluster.all()[0] as AsteriskNode).ari;
  }

  /** Connects to Asterisk (retrying in the background until it answers). */
  async start(): Promise<void> {
    await mkdir(this.deps.config.recordings.dir, { recursive: true });
    const ports = await this.engine.start();
    this.log.info({ address: this.deps.config.media.bindAddress, ports }, 'RTP for the app mixer: one port per media thread');
    this.capacity.start();
    if (this.sipLegs) this.log.info({ port: await this.sipLegs.start() }, 'SIP answerer for media legs');
    await Promise.all(this.cluster.all().map((n) => n.start()));
  }

  get recordingsDir(): string {
    return this.deps.config.recordings.dir;
  }

  get ready(): boolean {
    return this.readiness().ready;
  }

  /** Ready while any node takes callers: one node down or drained leaves the others working. */
  readiness(): Readiness {
    const nodes = this.cluster.all();
    const connected = nodes.filter((n) => n.ari.connected);
    return readiness({
      ariConnected: connected.length > 0,
      recovered: connected.some((n) => n.connectedAndRecovered),
      timerHealthy: this.engine.healthy(),
      draining: this.manager.draining || nodes.every((n) => n.status().draining),
    });
  }

  /** What the app holds now, for probes and tests: callers with a session, and callers still on their way in. */
  diagnostics(): { callers: number; arriving: number } {
    const total = { callers: 0, arriving: 0 };
    for (const node of this.cluster.all()) {
      const d = node.diagnostics();
      total.callers += d.callers;
      total.arriving += d.arriving;
    }
    return total;
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
    await Promise.all(this.cluster.all().map((n) => n.stop(reason)));
    await this.engine.close();
    this.capacity.stop();
    this.sipLegs?.close();
    await this.deps.shared?.close();
    this.store.close();
  }
}
