import type { MixerKind } from '../../conference/ports';

/** What decides the cheapest correct mixer, read from Asterisk at each connect. */
export interface MixerFacts {
  /** A res_timing_* module is loaded: without one a mixing bridge mixes nothing (FINDINGS "Timing"). */
  timing: boolean;
  /** Asterisk has the PJSIP endpoint for SIP media legs (`media.sipEndpoint`). */
  sipLegs: boolean;
  /** That endpoint has `direct_media=yes`: phones with it too send RTP straight to the app. */
  directMedia: boolean;
}

/**
 * `mixer.default: auto`. Measured on one 2-core host, 500 participants in rooms of 10, all talking (bench/README.md
 * `system`): softmix 158% of a core; the app mixer with direct media 59% (Asterisk only signals: ratio 0.37); with
 * SIP legs relayed by Asterisk (native_rtp) 174% (1.11); with externalMedia legs 2.9 times softmix (at 100). So the
 * app mixer wins only where Asterisk is out of the media path, and is the only correct mixer without a timer.
 */
export function chooseMixer(facts: MixerFacts): { mixer: MixerKind; why: string } {
  if (!facts.timing) return { mixer: 'app', why: 'no timing module: an Asterisk mixing bridge would be silent' };
  if (facts.sipLegs && facts.directMedia)
    return { mixer: 'app', why: 'SIP legs with direct media: RTP goes from the phones to the app, Asterisk only signals' };
  if (facts.sipLegs)
    return {
      mixer: 'asterisk',
      why: 'the SIP media endpoint has no direct_media: relayed by Asterisk, the app mixer costs more than softmix',
    };
  return { mixer: 'asterisk', why: 'no SIP media endpoint: externalMedia legs cost about 3 times softmix' };
}
