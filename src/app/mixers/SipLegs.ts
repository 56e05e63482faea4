import { SipUas } from '../../sip/SipUas';
import type { Offer } from '../../sip/sdp';

interface Expected {
  port: number;
  /** The address this leg's Asterisk sends RTP to (each node may reach the app at its own). */
  address: string;
  answered: (remote: Offer) => void;
}

/** Told where a leg's far end takes RTP after a re-INVITE. */
export type LegMoved = (remote: Offer) => void;

/**
 * Media legs as SIP calls: Asterisk dials `PJSIP/<endpoint>/sip:<leg id>@<us>` and our answer points its RTP at
 * the room's media thread. A PJSIP caller and such a leg in a plain two-channel mixing bridge run as native_rtp:
 * the RTP engine relays each packet, with no frame in Asterisk's bridge core (the externalMedia leg, a chan_rtp
 * channel, fails native_rtp's DTMF check against any PJSIP caller and stays in simple_bridge).
 */
export class SipLegs {
  private readonly uas: SipUas;
  private readonly expected = new Map<string, Expected>();
  private readonly answered = new Map<string, LegMoved>();

  constructor(private readonly options: { endpoint: string; bindAddress: string; advertiseAddress: string; port: number }) {
    this.uas = new SipUas({
      bindAddress: options.bindAddress,
      port: options.port,
      answer: (user) => {
        const leg = this.expected.get(user);
        if (!leg) return undefined;
        return { address: leg.address, port: leg.port };
      },
    });
    this.uas.events.on('call', (user, remote) => {
      const leg = this.expected.get(user);
      this.expected.delete(user);
      leg?.answered(remote);
    });
    this.uas.events.on('moved', (user, remote) => this.answered.get(user)?.(remote));
  }

  async start(): Promise<number> {
    return this.uas.start();
  }

  /**
   * The dial string for a leg with this id, and a promise of where Asterisk takes its RTP once it is answered.
   * `address` is where that Asterisk reaches the app (default the advertised address).
   */
  expect(
    legId: string,
    roomPort: number,
    moved: LegMoved,
    address = this.options.advertiseAddress,
  ): { endpoint: string; answered: Promise<Offer>; cancel: () => void } {
    const answered = new Promise<Offer>((resolve) => this.expected.set(legId, { port: roomPort, address, answered: resolve }));
    this.answered.set(legId, moved);
    return {
      endpoint: `PJSIP/${this.options.endpoint}/sip:${legId}@${address}:${this.uas.port}`,
      answered,
      cancel: () => {
        this.expected.delete(legId);
        this.answered.delete(legId);
      },
    };
  }

  close(): void {
    this.expected.clear();
    this.answered.clear();
    this.uas.close();
  }
}
