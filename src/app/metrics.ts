import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ConferenceSnapshot } from '../conference/model';
import type { MixerKind } from '../conference/ports';

const MIXER_KINDS: readonly MixerKind[] = ['app', 'asterisk'];

/** What the metrics read from the running app, each time they are scraped. */
export interface MetricSources {
  /** Every node the app drives, with its ARI client's totals. */
  nodes(): { id: string; up: boolean; reconnects: number; requestErrors: number }[];
  conferences(): ConferenceSnapshot[];
  rtp(): { packetsIn: number; packetsOut: number; lost: number; late: number; foreign: number; malformed: number };
  mediaThreads(): { index: number; healthy: boolean; restarts: number; legs: number }[];
}

/** Prometheus metrics: gauges and totals read on scrape, tick timings observed as they happen. */
export class Metrics {
  readonly registry = new Registry();
  private readonly tickLateness: Histogram;
  private readonly tickCpu: Histogram;
  private readonly joinLatency: Histogram;

  constructor(sources: MetricSources) {
    const registry = this.registry;
    // The default names already start with `process_` or `nodejs_`: `meetme_process_cpu_seconds_total`.
    collectDefaultMetrics({ register: registry, prefix: 'meetme_' });
    new Gauge({
      name: 'meetme_conferences',
      help: 'Live conferences by node and mixer backend (a conference with callers on two nodes counts on both)',
      labelNames: ['node', 'backend'],
      registers: [registry],
      collect() {
        this.reset();
        // Every backend reads 0 when idle: a series that vanishes looks like a scrape failure, not "none".
        for (const node of sources.nodes()) for (const backend of MIXER_KINDS) this.set({ node: node.id, backend }, 0);
        for (const c of sources.conferences()) {
          const nodes = new Set(c.participants.map((p) => p.nodeId));
          if (nodes.size === 0) nodes.add(c.nodeId);
          for (const node of nodes) this.inc({ node, backend: c.mixer });
        }
      },
    });
    new Gauge({
      name: 'meetme_participants',
      help: 'Participants in live conferences by the node they came in on, and mixer backend',
      labelNames: ['node', 'backend'],
      registers: [registry],
      collect() {
        this.reset();
        for (const node of sources.nodes()) for (const backend of MIXER_KINDS) this.set({ node: node.id, backend }, 0);
        for (const c of sources.conferences()) for (const p of c.participants) this.inc({ node: p.nodeId, backend: c.mixer });
      },
    });
    new Gauge({
      name: 'meetme_node_up',
      help: 'Whether each Asterisk node is connected (1) or not (0)',
      labelNames: ['node'],
      registers: [registry],
      collect() {
        this.reset();
        for (const node of sources.nodes()) this.set({ node: node.id }, node.up ? 1 : 0);
      },
    });
    new Gauge({
      name: 'meetme_recordings_in_progress',
      help: 'Conferences being recorded',
      labelNames: ['node'],
      registers: [registry],
      collect() {
        this.reset();
        for (const node of sources.nodes()) this.set({ node: node.id }, 0);
        for (const c of sources.conferences()) if (c.recording !== null) this.inc({ node: c.nodeId });
      },
    });
    const total = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          // Totals kept by the media engine: mirror them, never count twice.
          this.reset();
          this.inc(read());
        },
      });
    const perNode = (name: string, help: string, read: (node: ReturnType<MetricSources['nodes']>[number]) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['node'],
        registers: [registry],
        collect() {
          // Totals kept by each node's ARI client: mirrored.
          this.reset();
          for (const node of sources.nodes()) this.inc({ node: node.id }, read(node));
        },
      });
    perNode('meetme_ari_reconnects_total', 'Times the ARI events socket reconnected', (n) => n.reconnects);
    perNode('meetme_ari_request_errors_total', 'ARI requests that failed', (n) => n.requestErrors);
    for (const kind of ['packetsIn', 'packetsOut', 'lost', 'late', 'foreign', 'malformed'] as const) {
      const snake = kind.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
      total(`meetme_rtp_${snake}_total`, `RTP ${snake.replace('_', ' ')} in the app mixer`, () => sources.rtp()[kind]);
    }
    new Gauge({
      name: 'meetme_media_thread_up',
      help: 'Whether each media thread is alive and its clock ticking (1) or not (0)',
      labelNames: ['thread'],
      registers: [registry],
      collect() {
        this.reset();
        for (const t of sources.mediaThreads()) this.set({ thread: String(t.index) }, t.healthy ? 1 : 0);
      },
    });
    new Gauge({
      name: 'meetme_media_thread_legs',
      help: 'Callers mixed on each media thread',
      labelNames: ['thread'],
      registers: [registry],
      collect() {
        this.reset();
        for (const t of sources.mediaThreads()) this.set({ thread: String(t.index) }, t.legs);
      },
    });
    new Counter({
      name: 'meetme_media_thread_restarts_total',
      help: 'Times a media thread died and was started again',
      labelNames: ['thread'],
      registers: [registry],
      collect() {
        this.reset();
        for (const t of sources.mediaThreads()) this.inc({ thread: String(t.index) }, t.restarts);
      },
    });
    this.tickLateness = new Histogram({
      name: 'meetme_tick_lateness_seconds',
      help: 'How late each conference timer tick started',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05],
      registers: [registry],
    });
    this.tickCpu = new Histogram({
      name: 'meetme_mixer_tick_seconds',
      help: 'Time spent mixing all rooms in one tick',
      buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02],
      registers: [registry],
    });
    this.joinLatency = new Histogram({
      name: 'meetme_join_seconds',
      help: "From a caller's StasisStart to their being in the mix (prompts and PIN entry included)",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60],
      registers: [registry],
    });
  }

  /** A caller reached the mix, this long after their StasisStart (prompts and PIN entry included). */
  joined(seconds: number): void {
    this.joinLatency.observe(Math.max(0, seconds));
  }

  tick(latenessMs: number, mixMicros: number): void {
    this.tickLateness.observe(Math.max(0, latenessMs) / 1000);
    this.tickCpu.observe(mixMicros / 1e6);
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
