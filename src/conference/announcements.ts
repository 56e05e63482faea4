import type { CallerFlowSettings } from './definition';
import type { Member } from './Member';
import type { ClipStore, ConferenceMedia, MediaUri } from './ports';
import type { PromptSet } from './prompts';

/** What the announcer needs of its conference. */
export interface Audience {
  readonly media: ConferenceMedia;
  readonly prompts: PromptSet;
  readonly flow: CallerFlowSettings;
  readonly clips: ClipStore | undefined;
  /** Everyone in the conference now. */
  members(): Member[];
  /** Queues a sound of one member's own (after theirs before it; skipped once they left). */
  privately(member: Member, what: string, action: () => Promise<unknown>): Promise<void>;
  /** Runs a media action whose failure must not stop the conference. */
  quietly(what: string, action: () => Promise<unknown>): Promise<void>;
}

/** ConfBridge's count (announce_user_count): nobody else, "only one other", or "there are N others". */
export function participantCount(prompts: PromptSet, others: number): MediaUri[] {
  if (others === 0) return [prompts.onlyPerson];
  if (others === 1) return [prompts.onlyOne];
  return [prompts.thereAre, `number:${others}`, prompts.otherInParty];
}

/**
 * What a conference says about its callers coming and going: the tones (`q` for none), their names (`i`, `I`,
 * `announceJoinLeave`), the count for everyone (`announceUserCountAll`). The joiner never hears their own name;
 * with `hearOwnJoinSound: false` not their own tone either.
 */
export class Announcer {
  /** Tones to everyone under way: one covers callers arriving or leaving together. */
  private readonly tones = new Set<MediaUri>();

  constructor(private readonly audience: Audience) {}

  private tone(media: MediaUri): void {
    if (this.tones.has(media)) return;
    this.tones.add(media);
    const { audience } = this;
    void audience.quietly('tone', () => audience.media.playToAll([media])).finally(() => this.tones.delete(media));
  }

  /** Plays to everyone but `except`, each after their own sounds; resolves when all have heard it. */
  private async toOthers(except: Member, media: MediaUri[]): Promise<void> {
    const { audience } = this;
    await Promise.all(
      audience
        .members()
        .filter((m) => m !== except)
        .map((m) => audience.privately(m, 'announcement', () => audience.media.playTo(m.participant.id, media))),
    );
  }

  joined(member: Member): void {
    const { prompts, flow } = this.audience;
    const p = member.participant;
    const others = this.audience.members().length - 1;
    if (p.options.quiet || others === 0) return;
    if (flow.hearOwnJoinSound === false) void this.toOthers(member, [prompts.enterTone]);
    else this.tone(prompts.enterTone);
    if (p.nameClip) void this.toOthers(member, [p.nameClip, prompts.hasJoined]);
    if (flow.announceUserCountAll) void this.toOthers(member, participantCount(prompts, others));
  }

  /** After the caller is out: the tone, then their name to whoever is left; the name is deleted once said. */
  left(member: Member, conferenceGoesOn: boolean): void {
    const p = member.participant;
    const { prompts, media } = this.audience;
    const clip = p.nameClip;
    const say = conferenceGoesOn && !p.options.quiet;
    if (say) this.tone(prompts.leaveTone);
    if (!clip) return;
    const said = say ? this.audience.quietly('announcement', () => media.playToAll([clip, prompts.hasLeft])) : Promise.resolve();
    void said.then(() => this.discard(clip, p.caller.nodeId));
  }

  /** Deletes a name clip (`recording:<name>`). */
  discard(clip: MediaUri, nodeId: string | undefined): Promise<void> {
    const { clips } = this.audience;
    if (!clips || !clip.startsWith('recording:')) return Promise.resolve();
    return this.audience.quietly('delete name', () => clips.discard(clip.slice('recording:'.length), nodeId));
  }
}
