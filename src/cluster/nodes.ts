import type { Config } from '../config/schema';

/** Everything one node's ARI connection and media need, whether it came from `nodes:` or from `ari:` alone. */
export interface NodeSettings {
  id: string;
  url: string;
  username: string;
  password: string;
  app: string;
  requestTimeoutMs: number;
  maxConnections: number;
  downAfterMs: number;
  /** The address this node's Asterisk sends RTP and SIP legs to. */
  mediaAddress: string;
  /** Where callers are redirected to reach an Asterisk-mixed conference on this node (`{number}` replaced). */
  redirectUri?: string;
}

/** The nodes the config names: `nodes:`, or the one server of `ari:` (the one-node case, `ARI_URL`). */
export function nodeSettings(config: Readonly<Config>): NodeSettings[] {
  const { ari, media } = config;
  const mediaAddress = media.advertiseAddress ?? media.bindAddress;
  const shared = { app: ari.app, requestTimeoutMs: ari.requestTimeoutMs, maxConnections: ari.maxConnections, downAfterMs: ari.downAfterMs };
  if (config.nodes.length === 0)
    return [{ id: ari.nodeId, url: ari.url, username: ari.username, password: ari.password, mediaAddress, ...shared }];
  return config.nodes.map((node) => ({
    id: node.id,
    url: node.url,
    username: node.username,
    password: node.password,
    mediaAddress: node.mediaAddress ?? mediaAddress,
    ...(node.redirectUri !== undefined ? { redirectUri: node.redirectUri } : {}),
    ...shared,
  }));
}
