import type { AriClient } from '../../ari';
import { ignoreGone } from '../../ari';
import type { MediaParticipant } from '../../conference/ports';
import type { ClosingEvents } from '../../lib/children';
import type { Clock } from '../../lib/clock';
import { AppError } from '../../lib/errors';
import { TypedEmitter } from '../../lib/TypedEmitter';
import { DEFAULT_TELEPHONE_EVENT_PT, type Codec, type RemoteLeg } from '../../media';
import type { Offer } from '../../sip/sdp';
import type { AsteriskInventory } from '../inventory';
import { LEG_BRIDGE_PREFIX, MEDIA_CHANNEL_PREFIX } from '../names';
import type { SipLegs } from './SipLegs';

export interface AppLegEvents extends ClosingEvents {
  /** A piece of the leg died (its externalMedia channel or its bridge): the participant can no longer be mixed. */
  lost: [reason: string];
}

/** The Asterisk side of a leg: the node its caller came in on. */
export interface NodeMedia {
  nodeId: string;
  ari: AriClient;
  /** host:port this node's Asterisk sends a room's RTP to (externalMedia `external_host`), given the room's port. */
  externalHost: (port: number) => string;
  /** The address this node's Asterisk reaches the app at (SIP legs). */
  mediaAddress: string;
  /** SIP media legs, when this node's Asterisk has the endpoint for them; otherwise externalMedia legs. */
  sipLegs?: () => SipLegs | undefined;
  /** A caller's channel name (`PJSIP/alice-0001`) as their StasisStart gave it, when the node has it. */
  channelName?: (channelId: string) => string | undefined;
}

export interface AppLegDeps extends NodeMedia {
  clock: Clock;
  /** How long to wait for the media channel's StasisStart. */
  stasisTimeoutMs: number;
}

/** `made` from the moment its create request is sent (a teardown must ask for it); `gone` once Asterisk says so. */
type Piece = 'none' | 'made' | 'gone';

/**
 * One caller's path to the app mixer: an externalMedia (chan_rtp) channel and a two-channel bridge in Asterisk,
 * and a leg on the media thread. `close()` (asked) is idempotent and tears down what Asterisk still has; a piece
 * Asterisk reported gone (by an event, or missing when the state is read back) is never asked about again.
 */
export class AppLeg {
  readonly events = new TypedEmitter<AppLegEvents>();
  readonly mediaChannelId: string;
  readonly bridgeId: string;
  private channel: Piece = 'none';
  private bridge: Piece = 'none';
  private ready = false;
  private lostSaid = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private readonly disposers: (() => void)[] = [];

  constructor(
    private readonly deps: AppLegDeps,
    readonly participant: MediaParticipant,
    readonly remote: RemoteLeg,
    private readonly conferenceNumber: string,
  ) {
    // Stage, then execute: ids are ours and routed before anything is created.
    this.mediaChannelId = deps.ari.newId(MEDIA_CHANNEL_PREFIX);
    this.bridgeId = deps.ari.newId('leg');
  }

  get nodeId(): string {
    return this.deps.nodeId;
  }

  get participantId(): string {
    return this.participant.participantId;
  }

  /**
   * Creates the media channel and the bridge; on failure the caller closes the leg. A PJSIP caller's leg is a
   * SIP call Asterisk places to us, so the two share a native_rtp bridge; any other caller's is externalMedia.
   */
  async setup(roomPort: number): Promise<void> {
    const { ari } = this.deps;
    const inStasis = this.waitForStasis();
    // Its timeout can fire while the externalMedia request still waits for a pooled connection: handled
    // here, so that is a failed setup (awaited below), not an unhandled rejection that ends the process.
    void inStasis.catch(() => undefined);
    const available = this.deps.sipLegs?.();
    // A G.722 leg is an externalMedia one: the SIP legs' answer offers u-law only.
    const sipLegs = available && this.remote.codec === 'ulaw' && (await this.isSipCaller()) ? available : undefined;
    this.stillOpen();
    // The bridge does not wait for the media channel: over a WAN every round trip in a row is join time.
    const bridged = this.createBridge(sipLegs !== undefined);
    void bridged.catch(() => undefined);
    this.channel = 'made';
    if (sipLegs) await this.dialSipLeg(sipLegs, roomPort, inStasis);
    else await this.createExternalMedia(this.deps.externalHost(roomPort));
    // Closed while the request ran: its DELETE may have come first.
    if (this.closed) await this.hangUpMediaChannel();
    this.stillOpen();
    // addChannel before StasisStart fails 422 "Channel not in Stasis application".
    await inStasis;
    this.stillOpen();
    await bridged;
    this.stillOpen();
    if (sipLegs) {
      // Digits reach ARI as ChannelDtmfReceived either way; absorbing them keeps Asterisk from sending them
      // on to the leg, whose answer offered no telephone-event. Both at once: over a WAN each is a round trip.
      await Promise.all([
        ari.rest.bridges.addChannel({ bridgeId: this.bridgeId, channel: [this.participant.caller.channelId], absorbDTMF: true }),
        ari.rest.bridges.addChannel({ bridgeId: this.bridgeId, channel: [this.mediaChannelId] }),
      ]);
    } else {
      await ari.rest.bridges.addChannel({ bridgeId: this.bridgeId, channel: [this.participant.caller.channelId, this.mediaChannelId] });
    }
    this.stillOpen();
    this.ready = true;
  }

  private async createBridge(sip: boolean): Promise<void> {
    const { ari } = this.deps;
    this.disposers.push(
      ari.onBridge(this.bridgeId, (event) => {
        if (event.type === 'BridgeDestroyed') this.pieceGone('bridge', 'the caller bridge was destroyed');
      }),
    );
    this.bridge = 'made';
    // A plain mixing bridge lets a PJSIP caller and a SIP leg go native_rtp. With an externalMedia leg
    // native_rtp is never possible, and dtmf_events keeps it from being tried.
    await ari.rest.bridges.createWithId({
      bridgeId: this.bridgeId,
      type: sip ? 'mixing' : 'mixing,dtmf_events',
      name: `${LEG_BRIDGE_PREFIX}${this.conferenceNumber}:${this.participantId}`,
    });
    // Closed while the request ran: its DELETE may have come first.
    if (this.closed) await ignoreGone(ari.rest.bridges.destroy({ bridgeId: this.bridgeId }));
  }

  /**
   * Only a PJSIP caller can share a native RTP bridge with a SIP leg (bridge_native_rtp's DTMF check). The name
   * came with the caller's StasisStart; asked of Asterisk only when it did not.
   */
  private async isSipCaller(): Promise<boolean> {
    const channelId = this.participant.caller.channelId;
    const name = this.deps.channelName?.(channelId) ?? (await this.deps.ari.rest.channels.get({ channelId })).name;
    return name.startsWith('PJSIP/');
  }

  private async dialSipLeg(sipLegs: SipLegs, roomPort: number, inStasis: Promise<void>): Promise<void> {
    const { ari } = this.deps;
    // With direct media Asterisk re-INVITEs the leg to the phone's own address: its RTP then comes from there.
    // The media thread reads RFC 4733 from the leg's RTP at the payload type Asterisk offers: with direct media the
    // phone's digits come to us and not to Asterisk. Through Asterisk none come (our answer names no
    // telephone-event, so Asterisk's core takes them and ARI reports them), so nothing is read twice.
    const dtmfPt = (offer: Offer) => offer.telephoneEvent ?? DEFAULT_TELEPHONE_EVENT_PT;
    const call = sipLegs.expect(
      this.mediaChannelId,
      roomPort,
      (moved) => this.remote.setRemote(moved.address, moved.port, dtmfPt(moved)),
      this.deps.mediaAddress,
    );
    this.disposers.push(call.cancel);
    this.disposers.push(this.remote.events.subscribe('dtmf', (digit) => this.participant.caller.events.safeEmit('digit', digit)));
    await ari.rest.channels.originateWithId({ channelId: this.mediaChannelId, endpoint: call.endpoint, app: ari.app, formats: 'ulaw' });
    // The answer's INVITE told us where Asterisk takes RTP (and sends it from). A leg that is never answered
    // ends with the StasisStart timeout.
    const remote = await Promise.race([call.answered, inStasis.then(() => call.answered)]);
    this.remote.setRemote(remote.address, remote.port, dtmfPt(remote));
  }

  private async createExternalMedia(externalHost: string): Promise<void> {
    const { ari } = this.deps;
    // externalMedia's StasisStart can arrive before its REST response (FINDINGS "externalMedia").
    const channel = await ari.rest.channels.externalMedia({
      channelId: this.mediaChannelId,
      app: ari.app,
      external_host: externalHost,
      format: this.remote.codec,
      encapsulation: 'rtp',
      transport: 'udp',
      connection_type: 'client',
      direction: 'both',
    });
    const vars = channel.channelvars ?? {};
    const address = typeof vars.UNICASTRTP_LOCAL_ADDRESS === 'string' ? vars.UNICASTRTP_LOCAL_ADDRESS : '';
    const port = Number(vars.UNICASTRTP_LOCAL_PORT);
    if (!address || !Number.isInteger(port))
      throw new AppError('media_setup_failed', 'externalMedia answered without UNICASTRTP_LOCAL_ADDRESS/PORT');
    // Accept RTP only from where Asterisk sends it; anything else is foreign.
    this.remote.setRemote(address, port);
  }

  /**
   * The leg's codec for a caller: G.722 when the room is wideband and the caller's channel speaks it natively
   * (CHANNEL(audionativeformat) reads "(g722)" on a phone that negotiated it), so Asterisk transcodes nothing.
   */
  static async codecFor(ari: AriClient, channelId: string, wideband: boolean): Promise<Codec> {
    if (!wideband) return 'ulaw';
    try {
      const { value } = await ari.rest.channels.getChannelVar({ channelId, variable: 'CHANNEL(audionativeformat)' });
      return value.replace(/[()]/g, '').split('|').includes('g722') ? 'g722' : 'ulaw';
    } catch {
      return 'ulaw';
    }
  }

  private stillOpen(): void {
    if (this.closed) throw new AppError('media_setup_failed', 'the leg was closed while it was being set up');
  }

  private waitForStasis(): Promise<void> {
    const { ari, clock } = this.deps;
    return new Promise<void>((resolve, reject) => {
      const timer = clock.setTimeout(() => {
        dispose();
        reject(new AppError('media_setup_timeout', 'the externalMedia channel never entered Stasis'));
      }, this.deps.stasisTimeoutMs);
      const dispose = ari.onChannel(this.mediaChannelId, (event) => {
        if (event.type === 'StasisStart') {
          clock.clearTimeout(timer);
          resolve();
        } else if (event.type === 'StasisEnd' || event.type === 'ChannelDestroyed') {
          this.pieceGone('channel', 'the externalMedia channel ended');
        }
      });
      // Closed before StasisStart (the participant left, the conference ended): the setup fails instead
      // of waiting for ever, so the end of the conference (a shutdown too) does not hang on it.
      this.disposers.push(() => {
        clock.clearTimeout(timer);
        dispose();
        reject(new AppError('media_setup_failed', 'the leg was closed before its externalMedia channel entered Stasis'));
      });
    });
  }

  private pieceGone(piece: 'channel' | 'bridge', reason: string): void {
    if (piece === 'channel') this.channel = 'gone';
    else this.bridge = 'gone';
    if (this.closed || this.lostSaid) return;
    this.lostSaid = true;
    this.events.safeEmit('lost', reason);
  }

  /** After a reconnect, before anyone reacts: pieces Asterisk no longer has are marked gone, so nothing asks about them. */
  forgetGone(inventory: AsteriskInventory): void {
    if (!this.ready || this.closed) return;
    if (!inventory.channels.has(this.mediaChannelId)) this.channel = 'gone';
    if (!inventory.bridges.has(this.bridgeId)) this.bridge = 'gone';
  }

  /**
   * Then: a broken leg is reported lost while its caller is still there. A caller who left meanwhile was let go by
   * their own session.
   */
  reconcile(inventory: AsteriskInventory): void {
    if (!this.ready || this.closed || this.lostSaid) return;
    const callerId = this.participant.caller.channelId;
    if (!inventory.channels.has(callerId)) return;
    const reasons: string[] = [];
    if (this.channel === 'gone') reasons.push('the externalMedia channel ended while the events socket was down');
    if (this.bridge === 'gone') reasons.push('the caller bridge went while the events socket was down');
    else if (!inventory.bridges.get(this.bridgeId)?.has(callerId))
      reasons.push('the caller left their bridge while the events socket was down');
    if (reasons.length === 0) return;
    this.lostSaid = true;
    this.events.safeEmit('lost', reasons.join('; '));
  }

  private async hangUpMediaChannel(): Promise<void> {
    await ignoreGone(this.deps.ari.rest.channels.hangup({ channelId: this.mediaChannelId }));
    this.channel = 'gone';
  }

  /** Out of the mix at once (its owner drops it on `@close`), then whatever Asterisk still has is torn down. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.closing = this.teardown();
    }
    return this.closing;
  }

  private async teardown(): Promise<void> {
    this.events.safeEmit('@close');
    for (const dispose of this.disposers.splice(0)) dispose();
    const { rest } = this.deps.ari;
    await Promise.all([
      this.channel === 'made' ? this.hangUpMediaChannel() : undefined,
      this.bridge === 'made' ? ignoreGone(rest.bridges.destroy({ bridgeId: this.bridgeId })) : undefined,
    ]);
    this.events.removeAllListeners();
  }
}
