import type { AriClient, Bridge, Channel } from '../ari';
import { ignoreGone } from '../ari';
import type { Logger } from '../lib/logger';
import { CONFERENCE_BRIDGE_PREFIX, LEG_BRIDGE_PREFIX, MEDIA_CHANNEL_PREFIX } from './names';

export interface OrphanCaller {
  channel: Channel;
  conferenceNumber: string;
}

export interface RecoveryPlan {
  /** Callers found in one of our bridges: they go back into their conference without prompts. */
  adopt: OrphanCaller[];
  /** Our Stasis channels that were mid-prompt: they are hung up. */
  hangup: Channel[];
  /** Our bridges and externalMedia channels from before: destroyed, the new run builds its own. */
  bridges: Bridge[];
  /**
   * The Asterisk mixer's conference bridges, with their callers: offered to the conferences the callers are adopted
   * into (a bridge recording goes on in them), destroyed after the adoption when none took one.
   */
  conferenceBridges: Bridge[];
  mediaChannels: Channel[];
}

function conferenceOf(bridge: Bridge): string | undefined {
  const name = bridge.name ?? '';
  if (name.startsWith(CONFERENCE_BRIDGE_PREFIX)) return name.slice(CONFERENCE_BRIDGE_PREFIX.length);
  if (name.startsWith(LEG_BRIDGE_PREFIX)) return name.slice(LEG_BRIDGE_PREFIX.length).split(':')[0];
  return undefined;
}

/** A channel sits in our app when its dialplan application is Stasis(<app>,...) or we created it. */
function inOurApp(channel: Channel, app: string): boolean {
  if (channel.id.startsWith(MEDIA_CHANNEL_PREFIX)) return true;
  const dialplan = channel.dialplan;
  return dialplan?.app_name === 'Stasis' && (dialplan.app_data ?? '').split(',')[0] === app;
}

/**
 * What to do with what a previous run left in Asterisk: Asterisk keeps channels in Stasis and bridges
 * alive across an app restart, but queues no events, so the state is read back with GET /channels and /bridges.
 */
export function planRecovery(app: string, channels: Channel[], bridges: Bridge[], known: ReadonlySet<string>): RecoveryPlan {
  const byId = new Map(channels.map((c) => [c.id, c]));
  const plan: RecoveryPlan = { adopt: [], hangup: [], bridges: [], conferenceBridges: [], mediaChannels: [] };
  const placed = new Set<string>();
  for (const bridge of bridges) {
    const number = conferenceOf(bridge);
    if (number === undefined || known.has(bridge.id)) continue;
    if ((bridge.name ?? '').startsWith(CONFERENCE_BRIDGE_PREFIX)) plan.conferenceBridges.push(bridge);
    else plan.bridges.push(bridge);
    for (const channelId of bridge.channels) {
      const channel = byId.get(channelId);
      if (!channel || known.has(channelId)) continue;
      placed.add(channelId);
      if (channel.id.startsWith(MEDIA_CHANNEL_PREFIX)) plan.mediaChannels.push(channel);
      else plan.adopt.push({ channel, conferenceNumber: number });
    }
  }
  for (const channel of channels) {
    if (placed.has(channel.id) || known.has(channel.id) || !inOurApp(channel, app)) continue;
    if (channel.id.startsWith(MEDIA_CHANNEL_PREFIX)) plan.mediaChannels.push(channel);
    else plan.hangup.push(channel);
  }
  return plan;
}

export async function readRecoveryPlan(ari: AriClient, known: ReadonlySet<string>): Promise<RecoveryPlan> {
  const [channels, bridges] = await Promise.all([ari.rest.channels.list(), ari.rest.bridges.list()]);
  return planRecovery(ari.app, channels, bridges, known);
}

/** Removes what the plan says is stale; every step tolerates things that vanished meanwhile. */
export async function clearStale(ari: AriClient, plan: RecoveryPlan, log: Logger): Promise<void> {
  const { rest } = ari;
  await Promise.all(plan.mediaChannels.map((c) => ignoreGone(rest.channels.hangup({ channelId: c.id }))));
  await Promise.all(plan.hangup.map((c) => ignoreGone(rest.channels.hangup({ channelId: c.id }))));
  await Promise.all(plan.bridges.map((b) => ignoreGone(rest.bridges.destroy({ bridgeId: b.id }))));
  if (plan.bridges.length + plan.conferenceBridges.length + plan.hangup.length + plan.mediaChannels.length > 0) {
    log.info(
      {
        bridges: plan.bridges.length,
        conferenceBridges: plan.conferenceBridges.length,
        hungUp: plan.hangup.length,
        mediaChannels: plan.mediaChannels.length,
        adopted: plan.adopt.length,
      },
      'recovered state left by a previous run',
    );
  }
}
