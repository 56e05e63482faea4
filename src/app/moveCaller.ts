import type { AriClient } from '../ari';
import type { MediaUri } from '../conference/ports';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { CallSession } from './CallSession';

/** How long a redirected channel may take to leave before it is hung up. */
const REDIRECT_GRACE_MS = 10_000;

export interface MoveRequest {
  caller: CallSession;
  /** The caller's node's ARI client. */
  ari: AriClient | undefined;
  /** The node that holds the conference, and where callers are sent to reach it (`{number}` replaced). */
  to: { id: string; redirectUri: string | undefined };
  number: string;
  /** Played when the caller cannot be moved. */
  prompt: MediaUri;
  logger: Logger;
}

/**
 * Sends a caller to the node whose bridge holds their conference with an ARI redirect: chan_pjsip answers a
 * ringing channel's INVITE with a 302 to that URI (a REFER once answered), so the SIP front routes the call there
 * and the first node is out of the call for good. When it cannot (no redirectUri, not a PJSIP channel, a refusal)
 * the caller hears `prompt`: never a second bridge with the same number.
 */
export async function moveCaller(request: MoveRequest): Promise<boolean> {
  const { caller, ari, to, number, logger } = request;
  const log = logger.child({ channel: caller.channelId, conference: number, node: caller.nodeId, home: to.id });
  if (ari && to.redirectUri) {
    const endpoint = `PJSIP/${to.redirectUri.replaceAll('{number}', number)}`;
    try {
      await ari.rest.channels.redirect({ channelId: caller.channelId, endpoint });
      log.info({ endpoint }, 'caller sent to the node that holds their conference');
      // Asterisk answers 204 and sends the 302 (or REFER) afterwards, then ends the channel itself: a hangup now
      // would race it and the caller would get a 487 instead of the new destination.
      if (!(await caller.left(REDIRECT_GRACE_MS))) log.warn('the redirected channel was still here after 10 s: hung up');
      return true;
    } catch (error) {
      log.warn({ endpoint, err: errorMessage(error) }, 'redirecting the caller to the node that holds their conference failed');
    }
  } else {
    log.warn('the conference lives on another node, which has no redirectUri: the caller is told to try later');
  }
  await caller.answer();
  await caller.play([request.prompt]);
  return false;
}
