import type { Exit } from './Member';
import type { Participant } from './Participant';
import type { ConferenceMedia, DialplanTarget, MediaUri } from './ports';

export interface LeaveOptions {
  hangup?: boolean;
  /**
   * Back to the dialplan instead of a hangup, where app_meetme's conf_run returns 0 (`p`, `X`, a kick, `k`'s last
   * caller; with `C`, out of time or the leader gone); a caller with no dialplan is hung up.
   */
  continueTo?: DialplanTarget;
  /** Set on the channel before it goes on in the dialplan (`MEETME_EXIT_KEY`). */
  variables?: Readonly<Record<string, string>>;
  /** Played on the caller's own channel once they are out of the mix. */
  prompt?: MediaUri;
  /** The backend is gone: it is asked nothing. */
  mediaGone?: boolean;
}

/**
 * Takes a participant's media out and lets them go: out of the mix as fast as the media goes, then the goodbye
 * prompt on their own channel, then the hangup or the dialplan.
 */
export function depart(
  p: Participant,
  media: ConferenceMedia,
  how: LeaveOptions,
  quietly: (what: string, action: () => Promise<unknown>) => Promise<void>,
): Exit {
  const prompt = how.prompt && !p.caller.gone ? how.prompt : undefined;
  const remove = (): Promise<void> => (how.mediaGone ? Promise.resolve() : quietly('leave', () => media.remove(p.id)));
  const letGo = async (): Promise<void> => {
    const { caller } = p;
    if (how.continueTo && caller.continueInDialplan && !caller.gone) {
      const target = how.continueTo;
      await quietly('continue', () => caller.continueInDialplan!(target, how.variables));
    } else if (how.hangup || how.continueTo) await quietly('hangup', () => caller.hangup());
  };
  if (prompt && p.caller.media && !how.mediaGone) {
    // A caller with direct media (a browser) has no channel to hear a prompt on: their voice leaves the mix at
    // once and the goodbye plays through their leg, which replaces the conference for them; then they go.
    const outOfMix = quietly('mute', () => media.setTalk(p.id, false));
    const done = (async () => {
      await outOfMix;
      await quietly('prompt', () => media.playTo(p.id, [prompt]));
      await remove();
      await letGo();
    })();
    return { outOfMix, done };
  }
  const outOfMix = remove();
  const done = (async () => {
    await outOfMix;
    if (prompt) await quietly('prompt', () => p.caller.play([prompt]));
    await letGo();
  })();
  return { outOfMix, done };
}
