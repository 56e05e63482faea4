import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { MINUTE_MS, type UsageMinute } from '../capacity/history';

/** A day of one scope's minutes is stored as one blob: 1,440 slots of the fields below. */
export const MINUTES_PER_DAY = 1440;
const FIELDS = [
  'participantsPeak',
  'participantSeconds',
  'conferencesPeak',
  'conferenceSeconds',
  'bookedConferences',
  'bookedParticipantsPeak',
] as const;
const FORMAT = 1;

/** The minutes of one day, by minute of the day; undefined where nothing was recorded. */
export type DayMinutes = (Omit<UsageMinute, 'at'> | undefined)[];

function pushVarint(out: number[], value: number): void {
  // Zigzag, so small negative deltas stay one byte.
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

/**
 * Column by column, each value as the difference from the minute before, as varints, deflated: usage moves
 * slowly from minute to minute, so a day takes about 4 KB instead of the 35 KB of plain integers.
 */
export function encodeDay(minutes: DayMinutes): Buffer {
  const out: number[] = [];
  let prev = 0;
  for (let i = 0; i < MINUTES_PER_DAY; i++) {
    const present = minutes[i] ? 1 : 0;
    pushVarint(out, present - prev);
    prev = present;
  }
  for (const field of FIELDS) {
    prev = 0;
    for (let i = 0; i < MINUTES_PER_DAY; i++) {
      const value = minutes[i]?.[field] ?? 0;
      pushVarint(out, value - prev);
      prev = value;
    }
  }
  return Buffer.concat([Buffer.from([FORMAT]), deflateRawSync(Buffer.from(out))]);
}

export function decodeDay(blob: Buffer): DayMinutes {
  if (blob[0] !== FORMAT) throw new Error(`unknown usage format ${blob[0] ?? 'none'}`);
  const bytes = inflateRawSync(blob.subarray(1));
  let pos = 0;
  const next = (): number => {
    let v = 0;
    let scale = 1;
    for (;;) {
      const b = bytes[pos++];
      if (b === undefined) throw new Error('truncated usage blob');
      v += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 0x80;
    }
    return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
  };
  const present: boolean[] = [];
  let prev = 0;
  for (let i = 0; i < MINUTES_PER_DAY; i++) {
    prev += next();
    present.push(prev === 1);
  }
  const columns = FIELDS.map(() => {
    const values: number[] = [];
    let value = 0;
    for (let i = 0; i < MINUTES_PER_DAY; i++) {
      value += next();
      values.push(value);
    }
    return values;
  });
  const [pp, ps, cp, cs, bc, bp] = columns as [number[], number[], number[], number[], number[], number[]];
  return present.map((p, i) =>
    p
      ? {
          participantsPeak: pp[i]!,
          participantSeconds: ps[i]!,
          conferencesPeak: cp[i]!,
          conferenceSeconds: cs[i]!,
          bookedConferences: bc[i]!,
          bookedParticipantsPeak: bp[i]!,
        }
      : undefined,
  );
}

export const minuteOfDay = (at: number): number => Math.floor(at / MINUTE_MS) % MINUTES_PER_DAY;
