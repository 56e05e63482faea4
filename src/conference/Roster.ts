import { participantNotFound } from './errors';
import type { Member } from './Member';
import type { Participant } from './Participant';

/** Who is in one conference now, in the order they joined. */
export class Roster {
  private readonly members = new Map<string, Member>();

  constructor(private readonly number: string) {}

  get size(): number {
    return this.members.size;
  }

  add(member: Member): void {
    this.members.set(member.participant.id, member);
  }

  delete(participantId: string): void {
    this.members.delete(participantId);
  }

  find(participantId: string): Member | undefined {
    return this.members.get(participantId);
  }

  /** The member, or participant_not_found. */
  member(participantId: string): Member {
    const member = this.members.get(participantId);
    if (!member) throw participantNotFound(this.number, participantId);
    return member;
  }

  all(): Member[] {
    return [...this.members.values()];
  }

  participants(): Participant[] {
    return this.all().map((m) => m.participant);
  }

  hasMarked(): boolean {
    return this.participants().some((p) => p.marked);
  }
}
