import type { CallerPort, ConferenceMedia, ConferenceMediaSpec, MixerAvailability, MixerBackend } from '../../conference/ports';
import { Children } from '../../lib/children';
import type { Clock } from '../../lib/clock';
import type { Logger } from '../../lib/logger';
import type { MediaThreads } from '../../media';
import type { AsteriskInventory } from '../inventory';
import { AppConferenceMedia } from './AppConferenceMedia';
import { roomAudio } from './roomAudio';
import type { RecordingSink } from './AsteriskBridgeMixer';
import type { NodeMedia } from './AppLeg';

export interface AppMixerDeps {
  engine: MediaThreads;
  clock: Clock;
  /** The Asterisk side for a caller: the node they came in on, while the app drives it. */
  nodeFor: (caller: CallerPort) => NodeMedia | undefined;
  recordingsDir: string;
  /** Where the app's copy of a caller's recorded name (`recording:<name>`) is. */
  clipPath?: (name: string) => string;
  recordings: RecordingSink;
  logger: Logger;
  /** How long to wait for the media channel's StasisStart (default 5 s). */
  stasisTimeoutMs?: number;
  /** Where callers with direct media (browsers) send a room's RTP, on this host. */
  directHost?: string;
}

/**
 * The app's own mixer: each caller shares a two-channel bridge with a media leg, and the media engine mixes on
 * our clock. A PJSIP caller's leg is a SIP call to us (native_rtp: Asterisk relays RTP without decoding it);
 * any other caller's is an externalMedia (chan_rtp) channel (simple_bridge). Neither needs an Asterisk timing module (FINDINGS
 * "Caller paired with externalMedia": all three bridge types ran as simple_bridge with no timer).
 * Owns its conferences' media; each gives its media-thread room back when it closes.
 */
export class AppMixer implements MixerBackend {
  readonly kind = 'app' as const;
  private readonly medias = new Children<string, AppConferenceMedia>();

  constructor(private readonly deps: AppMixerDeps) {}

  availability(): MixerAvailability {
    return { ok: true };
  }

  async open(spec: ConferenceMediaSpec): Promise<ConferenceMedia> {
    const { engine } = this.deps;
    const room = engine.createRoom(spec.conferenceId, roomAudio(spec.media));
    const media = new AppConferenceMedia({ ...this.deps, stasisTimeoutMs: this.deps.stasisTimeoutMs ?? 5000 }, spec, room);
    return this.medias.add(spec.conferenceId, media, () => engine.closeRoom(spec.conferenceId));
  }

  /** After a node reconnects, first: what its Asterisk no longer has of each leg is marked gone, so no teardown asks about it. */
  forgetGone(nodeId: string, inventory: AsteriskInventory): void {
    for (const media of this.medias.values()) media.forgetGone(nodeId, inventory);
  }

  /** Then, beside the Asterisk mixer's: that node's legs whose channel or bridge died meanwhile are reported lost. */
  reconcile(nodeId: string, inventory: AsteriskInventory): void {
    for (const media of this.medias.values()) media.reconcile(nodeId, inventory);
  }
}
