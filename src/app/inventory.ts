import type { AriClient } from '../ari';

/** What Asterisk holds right now, as read back after a reconnect (events were lost while the socket was down). */
export interface AsteriskInventory {
  channels: ReadonlySet<string>;
  /** Bridge id to the channels in it. */
  bridges: ReadonlyMap<string, ReadonlySet<string>>;
}

export async function readInventory(ari: AriClient): Promise<AsteriskInventory> {
  const [channels, bridges] = await Promise.all([ari.rest.channels.list(), ari.rest.bridges.list()]);
  return {
    channels: new Set(channels.map((c) => c.id)),
    bridges: new Map(bridges.map((b) => [b.id, new Set(b.channels)])),
  };
}
