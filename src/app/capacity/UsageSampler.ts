import type { ConferenceControl } from '../../conference/control';
import type { ConferenceEvent } from '../../conference/model';
import type { ConferenceDirectory } from '../../conference/ports';
import { MINUTE_MS, SERVICE, scopeKey, type Scope, type UsageMinute } from '../../capacity/history';
import type { Clock, TimerHandle } from '../../lib/clock';
import { errorMessage } from '../../lib/errors';
import type { Logger } from '../../lib/logger';

export interface UsageSink {
  record(samples: readonly { scope: Scope; minute: UsageMinute }[]): void;
}

export interface UsageSamplerDeps {
  control: Pick<ConferenceControl, 'events' | 'list'>;
  directory: ConferenceDirectory;
  sink: UsageSink;
  clock: Clock;
  /** This app's node: sampled every minute, also when idle, so an idle minute is a zero and not a gap. */
  nodeId: string;
  logger: Logger;
}

/** Live counts in one scope and what the current minute has seen of them. */
interface Tally {
  scope: Scope;
  participants: number;
  conferences: number;
  bookedParticipants: number;
  bookedConferences: number;
  peak: { participants: number; conferences: number; bookedParticipants: number; bookedConferences: number };
  participantMs: number;
  conferenceMs: number;
  since: number;
}

interface LiveConference {
  node: string;
  booked: boolean;
  participants: Set<string>;
}

/**
 * Turns joins and leaves into per-minute samples for the service and each node: the peak of each minute
 * (a one-minute spike still needs its node) and the exact mean (participant-seconds), written once a minute.
 */
export class UsageSampler {
  private readonly tallies = new Map<string, Tally>();
  private readonly conferences = new Map<string, LiveConference>();
  private unsubscribe: (() => void) | undefined;
  private timer: TimerHandle | undefined;
  /** The first minute is only partly seen: it is not written. */
  private minuteStart = 0;
  private partial = true;

  constructor(private readonly deps: UsageSamplerDeps) {}

  start(): void {
    if (this.unsubscribe) return;
    const now = this.deps.clock.now();
    this.tally(SERVICE, now);
    this.tally({ kind: 'node', node: this.deps.nodeId }, now);
    for (const c of this.deps.control.list()) {
      this.onEvent({ type: 'conference.started', conference: { ...c, participants: [] } });
      for (const p of c.participants) this.onEvent({ type: 'participant.joined', conferenceId: c.id, number: c.number, participant: p });
    }
    this.unsubscribe = this.deps.control.events.subscribe('event', (event) => this.onEvent(event));
    this.minuteStart = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    this.partial = now !== this.minuteStart;
    this.arm();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    const next = this.minuteStart + MINUTE_MS;
    this.timer = this.deps.clock.setTimeout(() => this.flush(next), Math.max(0, next - this.deps.clock.now()));
  }

  private tally(scope: Scope, now: number): Tally {
    const key = scopeKey(scope);
    let t = this.tallies.get(key);
    if (!t) {
      t = {
        scope,
        participants: 0,
        conferences: 0,
        bookedParticipants: 0,
        bookedConferences: 0,
        peak: { participants: 0, conferences: 0, bookedParticipants: 0, bookedConferences: 0 },
        participantMs: 0,
        conferenceMs: 0,
        since: now,
      };
      this.tallies.set(key, t);
    }
    return t;
  }

  /** Applies a change of counts to the service and to the node, integrating the time before it. */
  private change(node: string, booked: boolean, participants: number, conferences: number): void {
    const now = this.deps.clock.now();
    for (const t of [this.tally(SERVICE, now), this.tally({ kind: 'node', node }, now)]) {
      t.participantMs += t.participants * (now - t.since);
      t.conferenceMs += t.conferences * (now - t.since);
      t.since = now;
      t.participants += participants;
      t.conferences += conferences;
      if (booked) {
        t.bookedParticipants += participants;
        t.bookedConferences += conferences;
      }
      t.peak.participants = Math.max(t.peak.participants, t.participants);
      t.peak.conferences = Math.max(t.peak.conferences, t.conferences);
      t.peak.bookedParticipants = Math.max(t.peak.bookedParticipants, t.bookedParticipants);
      t.peak.bookedConferences = Math.max(t.peak.bookedConferences, t.bookedConferences);
    }
  }

  private onEvent(event: ConferenceEvent): void {
    switch (event.type) {
      case 'conference.started': {
        if (this.conferences.has(event.conference.id)) return;
        const booked = this.deps.directory.lookup(event.conference.number)?.schedule !== undefined;
        this.conferences.set(event.conference.id, { node: event.conference.nodeId, booked, participants: new Set() });
        this.change(event.conference.nodeId, booked, 0, 1);
        return;
      }
      case 'conference.ended': {
        const c = this.conferences.get(event.conferenceId);
        if (!c) return;
        this.conferences.delete(event.conferenceId);
        this.change(c.node, c.booked, -c.participants.size, -1);
        return;
      }
      case 'participant.joined': {
        const c = this.conferences.get(event.conferenceId);
        if (!c || c.participants.has(event.participant.id)) return;
        c.participants.add(event.participant.id);
        this.change(c.node, c.booked, 1, 0);
        return;
      }
      case 'participant.left': {
        const c = this.conferences.get(event.conferenceId);
        if (!c?.participants.delete(event.participantId)) return;
        this.change(c.node, c.booked, -1, 0);
        return;
      }
      default:
        return;
    }
  }

  /** Booked conferences the schedule has due at `at` (from their early join to their end). */
  private scheduled(at: number): number {
    let n = 0;
    for (const d of this.deps.directory.list()) {
      const s = d.schedule;
      if (s && Date.parse(s.start) - s.earlyJoinMinutes * MINUTE_MS <= at && at < Date.parse(s.end)) n++;
    }
    return n;
  }

  private flush(end: number): void {
    const at = end - MINUTE_MS;
    const samples: { scope: Scope; minute: UsageMinute }[] = [];
    const due = this.partial ? 0 : this.scheduled(at);
    for (const t of this.tallies.values()) {
      t.participantMs += t.participants * (end - t.since);
      t.conferenceMs += t.conferences * (end - t.since);
      t.since = end;
      if (!this.partial)
        samples.push({
          scope: t.scope,
          minute: {
            at,
            participantsPeak: t.peak.participants,
            participantSeconds: Math.round(t.participantMs / 1000),
            conferencesPeak: t.peak.conferences,
            conferenceSeconds: Math.round(t.conferenceMs / 1000),
            bookedConferences: t.scope.kind === 'service' ? Math.max(due, t.peak.bookedConferences) : t.peak.bookedConferences,
            bookedParticipantsPeak: t.peak.bookedParticipants,
          },
        });
      t.peak = {
        participants: t.participants,
        conferences: t.conferences,
        bookedParticipants: t.bookedParticipants,
        bookedConferences: t.bookedConferences,
      };
      t.participantMs = 0;
      t.conferenceMs = 0;
    }
    try {
      if (samples.length > 0) this.deps.sink.record(samples);
    } catch (error) {
      this.deps.logger.warn({ err: errorMessage(error) }, 'writing the usage minute failed: that minute is missing from the history');
    }
    this.partial = false;
    this.minuteStart = end;
    if (this.unsubscribe) this.arm();
  }
}
