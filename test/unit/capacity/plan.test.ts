import { expect } from 'chai';
import { forecastError } from '../../../src/capacity/accuracy';
import { forecast, type Booking } from '../../../src/capacity/forecast';
import { DAY_MS, MINUTE_MS, SLOT_MS, slotSeries, type SlotSeries } from '../../../src/capacity/history';
import { desiredAt, plan, type Plan } from '../../../src/capacity/plan';
import { MONTH, participantsAt, syntheticMinutes, type SyntheticUsage } from '../../support/syntheticUsage';

const H = 3600_000;
const END = MONTH.start + MONTH.days * DAY_MS; // Monday 2026-02-09 00:00Z, the day after the month
const NODE = { nodeCapacity: 500, headroom: 0.2, leadMinutes: 30, minNodes: 1 };
const USABLE = 400;

function seriesOf(u: SyntheticUsage, booked: { start: number; end: number; participants: number }[] = []): SlotSeries {
  return slotSeries(syntheticMinutes(u, booked), u.start, u.start + u.days * DAY_MS);
}

function planAt(series: SlotSeries, now: number, bookings: Booking[] = []): Plan {
  return plan(forecast(series, bookings, { now, hours: 48, weeks: 4 }), { now, ...NODE, currentNodes: 1 });
}

const at = (ms: number): string => new Date(ms).toISOString().slice(0, 16);

describe('capacity plan over a synthetic month', () => {
  const month = seriesOf(MONTH);

  it('asks for each extra node 30 minutes before the slot that needs it, and not earlier', () => {
    const p = planAt(month, END);
    const rises = p.slots.filter((s, i) => i > 0 && s.nodes > p.slots[i - 1]!.nodes);
    expect(rises.length).to.be.greaterThan(6); // several steps up each weekday morning
    for (const rise of rises) {
      const action = p.actions.find((a) => a.at === rise.start - 30 * MINUTE_MS);
      expect(action, `an action at ${at(rise.start - 30 * MINUTE_MS)}`).to.include({ direction: 'up' });
      expect(action!.to).to.be.at.least(rise.nodes);
      expect(desiredAt(p.slots, rise.start - 30 * MINUTE_MS - 1, 30 * MINUTE_MS, 1), at(rise.start)).to.be.below(rise.nodes);
    }
    // Mornings only: every step up is between 07:00 and 11:00.
    for (const a of p.actions.filter((x) => x.direction === 'up')) expect((a.at % DAY_MS) / H).to.be.within(7, 11);
  });

  it('lets nodes go only once the slots that needed them are over, back to one by the evening', () => {
    const p = planAt(month, END);
    const downs = p.actions.filter((a) => a.direction === 'down');
    expect(downs.length).to.be.greaterThan(6);
    for (const a of downs) {
      const before = p.slots.find((s) => s.start + SLOT_MS === a.at);
      expect(before?.nodes, `the slot before ${at(a.at)}`).to.be.greaterThan(a.to);
      for (const s of p.slots.filter((x) => x.start >= a.at && x.start <= a.at + 30 * MINUTE_MS))
        expect(s.nodes, at(s.start)).to.be.at.most(a.to);
      expect((a.at % DAY_MS) / H).to.be.within(13.5, 18);
    }
    for (const day of [END, END + DAY_MS]) {
      expect(desiredAt(p.slots, day + 3 * H, 30 * MINUTE_MS, 1), 'at 03:00').to.equal(1);
      expect(desiredAt(p.slots, day + 12 * H, 30 * MINUTE_MS, 1), 'at noon').to.be.at.least(6);
      expect(desiredAt(p.slots, day + 18 * H, 30 * MINUTE_MS, 1), 'at 18:00').to.equal(1);
    }
  });

  it('has room for everyone who actually came in the two days after the month, minute by minute', () => {
    const p = planAt(month, END);
    let short = 0;
    let busiest = 0;
    for (let t = END; t < END + 48 * H; t += MINUTE_MS) {
      const truth = participantsAt(MONTH, t);
      busiest = Math.max(busiest, truth);
      if (truth > desiredAt(p.slots, t, 30 * MINUTE_MS, 1) * USABLE) short++;
    }
    expect(busiest).to.be.greaterThan(2000);
    expect(short).to.equal(0);
  });

  it('plans fewer nodes for a weekend day, from the weekends before it', () => {
    const saturday = END - 2 * DAY_MS;
    const p = planAt(month, saturday);
    const weekend = p.slots.filter((s) => s.start < saturday + 2 * DAY_MS);
    expect(Math.max(...weekend.map((s) => s.nodes))).to.be.within(2, 3);
    expect(Math.max(...planAt(month, END).slots.map((s) => s.nodes))).to.be.at.least(6);
  });

  it('finds the growth of the month (2% a week) despite the holiday', () => {
    const f = forecast(month, [], { now: END, hours: 48, weeks: 4 });
    expect(f.trendPerWeek).to.be.within(0.01, 0.03);
    expect(f.daysOfHistory).to.equal(28);
    expect(f.slots.every((s) => s.basis === 'weekly')).to.equal(true);
  });

  it('adds booked conferences to the forecast and plans the nodes for them', () => {
    const booking: Booking = { number: '500', start: END + 15 * H, end: END + 16 * H, participants: 800 };
    const without = planAt(month, END);
    const withIt = planAt(month, END, [booking]);
    withIt.slots.forEach((s, i) => {
      const base = without.slots[i]!;
      const inside = s.start >= booking.start && s.start < booking.end;
      expect(s.booked, at(s.start)).to.equal(inside ? 800 : 0);
      expect(s.participants - base.participants, at(s.start)).to.equal(inside ? 800 : 0);
      expect(s.upper - base.upper, at(s.start)).to.equal(inside ? 800 : 0);
      if (inside) expect(s.nodes).to.equal(base.nodes + 2);
    });
    // The nodes for it are asked for 30 minutes ahead as well.
    expect(desiredAt(withIt.slots, booking.start - 30 * MINUTE_MS, 30 * MINUTE_MS, 1)).to.be.greaterThan(
      desiredAt(without.slots, booking.start - 30 * MINUTE_MS, 30 * MINUTE_MS, 1),
    );
  });

  it("does not forecast last week's booked conference again unless it is booked again", () => {
    // A 600-participant booked conference every Monday 19:00-20:00 in the history.
    const mondays = [0, 7, 14, 21, 28].map((d) => ({
      start: MONTH.start + d * DAY_MS + 19 * H,
      end: MONTH.start + d * DAY_MS + 20 * H,
      participants: 600,
    }));
    const f = forecast(seriesOf(MONTH, mondays), [], { now: END, hours: 24, weeks: 4 });
    const evening = f.slots.filter((s) => s.start >= END + 19 * H && s.start < END + 20 * H);
    expect(Math.max(...evening.map((s) => s.participants))).to.be.below(60);
  });

  it('shows the holiday week in the forecast error, and the weeks after it unharmed', () => {
    const error = forecastError(month, { now: END, days: 28, weeks: 4, usablePerNode: USABLE, minNodes: 1 });
    expect(error.weeks.map((w) => w.week)).to.deep.equal(['2026-01-12', '2026-01-19', '2026-01-26', '2026-02-02']);
    const [before, holiday, after, last] = error.weeks;
    for (const normal of [before!, after!, last!]) {
      expect(normal.wape).to.be.below(0.06);
      expect(holiday!.wape).to.be.above(3 * normal.wape!);
    }
    expect(holiday!.bias).to.be.above(0.15); // it forecast a working day that did not happen
    const worst = [...error.days].sort((a, b) => (b.wape ?? 0) - (a.wape ?? 0))[0];
    expect(worst?.day).to.equal('2026-01-21');

    // The same month without the holiday: that week is as good as the others.
    const plain = forecastError(seriesOf({ ...MONTH, holidays: [] }), { now: END, days: 28, weeks: 4, usablePerNode: USABLE, minNodes: 1 });
    expect(plain.weeks[1]!.wape).to.be.below(0.06);
  });

  it('forecasts from past days when there is less than a week of history, and from nothing with the minimum', () => {
    const short = seriesOf({ ...MONTH, days: 3 });
    const now = MONTH.start + 3 * DAY_MS;
    const p = planAt(short, now);
    expect(p.slots[0]!.basis).to.equal('daily');
    expect(Math.max(...p.slots.map((s) => s.nodes))).to.be.at.least(5);
    const empty = planAt({ start: now, values: [] }, now);
    expect(empty.slots.every((s) => s.basis === 'none' && s.nodes === 1)).to.equal(true);
    expect(empty.actions).to.deep.equal([]);
  });

  it('asks at once when the nodes running are short of what is needed now', () => {
    const p = plan(forecast(month, [], { now: END + 12 * H, hours: 2, weeks: 4 }), { now: END + 12 * H, ...NODE, currentNodes: 2 });
    expect(p.actions[0]).to.include({ at: END + 12 * H, from: 2, direction: 'up' });
    expect(p.actions[0]!.to).to.equal(p.desiredNodes);
  });
});
