import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeetmeApp } from '../../src/app/App';
import { configSchema, type Config, type ConfigInput } from '../../src/config/schema';
import { AsteriskDouble, type DoubleOptions } from '../double';
import { makeSounds } from './audio';
import { delayProxy } from './delayProxy';
import { captureLogger, waitFor } from './logger';

export interface RunningCluster {
  /** One ARI double per node, by node id: each its own Asterisk with its own ports and real externalMedia RTP. */
  nodes: Map<string, AsteriskDouble>;
  app: MeetmeApp;
  config: Config;
  logs: () => Record<string, unknown>[];
  node(id: string): AsteriskDouble;
  /** The node's Asterisk dies (every socket and channel gone at once). */
  kill(id: string): Promise<void>;
  /** It comes back on the same port, empty, as after a restart. */
  revive(id: string): Promise<AsteriskDouble>;
  stop(): Promise<void>;
}

/**
 * Several double Asterisks and one app driving them all through `nodes:`. Each node's `redirectUri` is
 * `sip:{number}@<id>` unless the config says otherwise; `routeRedirects` plays the SIP front's part.
 */
export async function startCluster(
  ids: string[],
  config: ConfigInput = {},
  double: DoubleOptions = {},
  { redirects = true }: { redirects?: boolean } = {},
): Promise<RunningCluster> {
  const options: DoubleOptions = { speed: 20, talkFinishMs: 150, ...double };
  const nodes = new Map<string, AsteriskDouble>();
  const ports = new Map<string, number>();
  for (const id of ids) {
    const ast = await AsteriskDouble.start(options);
    nodes.set(id, ast);
    ports.set(id, Number(new URL(ast.url).port));
  }
  // Without netem (a kernel built without it) the WAN run delays ARI in a proxy instead; RTP then goes direct.
  const proxyDelay = Number(process.env.MEETME_WAN_PROXY_DELAY_MS ?? 0);
  const proxies = new Map<string, Awaited<ReturnType<typeof delayProxy>>>();
  if (proxyDelay > 0) for (const id of ids) proxies.set(id, await delayProxy(nodes.get(id)!.url, proxyDelay));
  const urlOf = (id: string): string => proxies.get(id)?.url ?? nodes.get(id)!.url;
  const { logger, lines } = captureLogger('debug');
  const parsed = configSchema.parse({
    ...config,
    ari: { downAfterMs: 1000, ...config.ari },
    nodes: config.nodes ?? ids.map((id) => ({ id, url: urlOf(id), ...(redirects ? { redirectUri: `sip:{number}@${id}` } : {}) })),
    limits: { digitTimeoutMs: 1500, ...config.limits },
    media: { port: 0, sipPort: 0, ...makeSounds(), ...config.media },
    recordings: { dir: mkdtempSync(join(tmpdir(), 'meetme-rec-')), ...config.recordings },
    store: { path: ':memory:', ...config.store },
    http: { port: 0, ...config.http },
  });
  const app = new MeetmeApp({ config: parsed, logger });
  await app.start();
  await waitFor(() => app.cluster.list().every((n) => n.ready), 15000, 'every node ready');
  const running: RunningCluster = {
    nodes,
    app,
    config: parsed,
    logs: lines,
    node: (id) => nodes.get(id)!,
    async kill(id) {
      await nodes.get(id)!.stop();
    },
    async revive(id) {
      const ast = await AsteriskDouble.start({ ...options, port: ports.get(id)! });
      nodes.set(id, ast);
      return ast;
    },
    async stop() {
      await app.stop();
      await Promise.all([...nodes.values()].map((n) => n.stop()));
      await Promise.all([...proxies.values()].map((p) => p.close()));
    },
  };
  return running;
}

/** Plays the SIP front (Kamailio): a caller a node redirected to `sip:<number>@<node>` is dialled on that node. */
export function routeRedirects(cluster: RunningCluster, onArrival: (node: string, exten: string) => void = () => undefined): void {
  for (const ast of cluster.nodes.values()) {
    ast.onRedirect((channel, target) => {
      const match = /^sips?:([^@]+)@([^:;>]+)/.exec(target);
      const to = match ? cluster.nodes.get(match[2]!) : undefined;
      if (!match || !to) return;
      to.dial({ exten: match[1]!, callerId: `${channel.caller.name} <${channel.caller.number}>` });
      onArrival(match[2]!, match[1]!);
    });
  }
}

export { waitFor };
