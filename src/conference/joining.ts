import type { Member } from './Member';
import type { ConferenceMedia } from './ports';

type Quietly = (what: string, action: () => Promise<unknown>) => Promise<void>;

/**
 * Puts a new member into the mix: `in`, `let go` (they left while it was being set up: that setup is undone too) or
 * `gone` (hung up meanwhile). Rejects, with nothing left behind in the media, when the media cannot take them.
 */
export async function connectMedia(member: Member, media: ConferenceMedia, quietly: Quietly): Promise<'in' | 'let go' | 'gone'> {
  const p = member.participant;
  try {
    await media.add({ participantId: p.id, caller: p.caller });
  } catch (error) {
    member.inMix();
    if (p.left) return 'let go';
    throw error;
  }
  if (p.left) {
    await quietly('leave', () => media.remove(p.id));
    member.inMix();
    return 'let go';
  }
  if (p.caller.gone) {
    member.inMix();
    return 'gone';
  }
  return 'in';
}

/** What the member starts with in the mix: muted (`m`, `l`, waiting) and talk-only (`t`). */
export async function initialMix(member: Member, media: ConferenceMedia, quietly: Quietly): Promise<void> {
  const p = member.participant;
  if (!p.talks) await quietly('mute', () => media.setTalk(p.id, false));
  if (!p.listens) await quietly('talk-only', () => media.setListen(p.id, false));
}
