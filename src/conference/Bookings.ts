import type { Clock, TimerHandle } from '../lib/clock';
import type { Conference } from './Conference';
import type { ConferenceSchedule } from './ports';

/** Booked conferences of one manager: warnings before the end and the end itself, on the injected clock. */
export class Bookings {
  private readonly timers = new Map<string, TimerHandle[]>();
  private readonly extended = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  /** When a booked conference ends, extensions included. */
  endOf(number: string, schedule: ConferenceSchedule): number {
    return this.extended.get(number) ?? Date.parse(schedule.end);
  }

  /** The end as extended, if it was. */
  extendedEnd(number: string): number | undefined {
    return this.extended.get(number);
  }

  arm(conference: Conference, schedule: ConferenceSchedule | undefined): void {
    if (!schedule) return;
    const { clock } = this;
    const number = conference.number;
    this.clear(number);
    const end = this.endOf(number, schedule);
    const timers: TimerHandle[] = [];
    for (const minutes of schedule.endWarningsMinutes) {
      const at = end - minutes * 60000;
      if (at > clock.now())
        timers.push(clock.setTimeout(() => void conference.play([conference.prompts.endWarning]).catch(() => undefined), at - clock.now()));
    }
    timers.push(clock.setTimeout(() => void conference.end('scheduled end'), Math.max(0, end - clock.now())));
    this.timers.set(number, timers);
  }

  /** Moves the end later and sets the timers again. */
  extend(conference: Conference, schedule: ConferenceSchedule, minutes: number): void {
    this.extended.set(conference.number, this.endOf(conference.number, schedule) + minutes * 60000);
    this.arm(conference, schedule);
  }

  clear(number: string): void {
    for (const timer of this.timers.get(number) ?? []) this.clock.clearTimeout(timer);
    this.timers.delete(number);
  }
}
