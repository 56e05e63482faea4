import type { Member } from './Member';
import type { ConferenceMedia } from './ports';
import type { PromptSet } from './prompts';

type Privately = (member: Member, what: string, action: () => Promise<unknown>) => Promise<void>;

/** Music for whoever is alone with `M`, or waiting for the leader; stopped for everyone else. */
export function refreshMusic(members: Member[], media: ConferenceMedia, privately: Privately): void {
  const alone = members.length === 1;
  for (const m of members) {
    const p = m.participant;
    const want = p.waiting || (alone && p.options.moh);
    if (want === p.hearingMusic) continue;
    p.hearingMusic = want;
    void privately(m, 'music', () => (want ? media.startMusic(p.id) : media.stopMusic(p.id)));
  }
}

/** A marked user arrived: everyone waiting is placed into the conference, all at once. */
export function releaseWaiting(members: Member[], media: ConferenceMedia, prompts: PromptSet, privately: Privately): void {
  const waiting = members.filter((m) => m.participant.waiting);
  for (const m of waiting) m.participant.waiting = false;
  refreshMusic(members, media, privately);
  for (const m of waiting) {
    const p = m.participant;
    if (!p.options.quiet) void privately(m, 'prompt', () => media.playTo(p.id, [prompts.placeIntoConf]));
    void privately(m, 'unmute', async () => {
      if (p.talks) await media.setTalk(p.id, true);
    });
  }
}
