import { expect } from 'chai';
import { UsageSampler } from '../../../src/app/capacity/UsageSampler';
import { scopeKey, type Scope, type UsageMinute } from '../../../src/capacity/history';
import { silentLogger } from '../../../src/lib/logger';
import { FakeCaller, harness, settle, type Harness } from '../conference/fakes';

const T0 = Date.parse('2026-11-23T10:00:00Z');
// Booked 10:00-11:00 (with 10 minutes' early join), and one booked for later that is already due by the schedule.
const booked = { start: '2026-11-23T10:00:00Z', end: '2026-11-23T11:00:00Z', earlyJoinMinutes: 10, endWarningsMinutes: [] };
const later = { start: '2026-11-23T10:05:00Z', end: '2026-11-23T12:00:00Z', earlyJoinMinutes: 10, endWarningsMinutes: [] };

function setup(start = T0): { h: Harness; sampler: UsageSampler; written: Map<string, UsageMinute[]> } {
  const h = harness({}, [
    { number: '300', name: 'Board', options: '', schedule: booked },
    { number: '301', name: 'Later', options: '', schedule: later },
  ]);
  void h.clock.advance(start - h.clock.now());
  const written = new Map<string, UsageMinute[]>();
  const sampler = new UsageSampler({
    control: h.manager,
    directory: { lookup: (n) => h.definitions.get(n), list: () => [...h.definitions.values()] },
    sink: {
      record: (samples: readonly { scope: Scope; minute: UsageMinute }[]) => {
        for (const { scope, minute } of samples) written.set(scopeKey(scope), [...(written.get(scopeKey(scope)) ?? []), minute]);
      },
    },
    clock: h.clock,
    nodeId: 'node-a',
    logger: silentLogger(),
  });
  return { h, sampler, written };
}

async function join(h: Harness, number: string, id: string): Promise<FakeCaller> {
  const caller = new FakeCaller(id, [], `Caller ${id}`, id);
  void h.manager.handleCaller(caller, [number, 'q']);
  await settle();
  return caller;
}

describe('UsageSampler', () => {
  it('writes each minute the peak and the exact mean of participants and conferences, for the service and the node', async () => {
    const { h, sampler, written } = setup();
    sampler.start();
    await h.clock.advance(15_000);
    await join(h, '100', 'a'); // 10:00:15
    await h.clock.advance(15_000);
    const b = await join(h, '100', 'b'); // 10:00:30
    await h.clock.advance(15_000);
    await join(h, '200', 'c'); // 10:00:45
    await h.clock.advance(10_000);
    b.leave(); // 10:00:55
    await settle();
    await h.clock.advance(5_000); // 10:01:00
    await h.clock.advance(60_000); // 10:02:00

    const service = written.get('service')!;
    expect(service.map((m) => new Date(m.at).toISOString())).to.deep.equal(['2026-11-23T10:00:00.000Z', '2026-11-23T10:01:00.000Z']);
    expect(service[0]).to.include({
      participantsPeak: 3,
      participantSeconds: 45 + 25 + 15,
      conferencesPeak: 2,
      conferenceSeconds: 45 + 15,
    });
    expect(service[1]).to.include({ participantsPeak: 2, participantSeconds: 120, conferencesPeak: 2, conferenceSeconds: 120 });
    expect(written.get('node:node-a')).to.deep.equal(service.map((m) => ({ ...m, bookedConferences: 0 })));
    sampler.stop();
  });

  it('counts booked conferences from the schedule and the participants in them apart', async () => {
    const { h, sampler, written } = setup();
    sampler.start();
    await join(h, '300', 'x');
    await join(h, '300', 'y');
    await join(h, '555', 'z');
    await h.clock.advance(60_000);
    // 10:00: 300 is due (and live), 301 is due from 09:55 by its early join.
    expect(written.get('service')![0]).to.include({ participantsPeak: 3, bookedConferences: 2, bookedParticipantsPeak: 2 });
    expect(written.get('node:node-a')![0]).to.include({ bookedConferences: 1, bookedParticipantsPeak: 2 });
    sampler.stop();
  });

  it('writes zeros for an idle minute, leaves out the minute it started in, and counts callers already there', async () => {
    const { h, sampler, written } = setup(T0 + 20_000);
    await join(h, '100', 'early');
    sampler.start();
    await h.clock.advance(40_000 + 60_000);
    const service = written.get('service')!;
    expect(service).to.have.length(1);
    expect(service[0]).to.include({ at: T0 + 60_000, participantsPeak: 1, participantSeconds: 60 });
    await h.manager.shutdown('test');
    await h.clock.advance(120_000);
    expect(written.get('service')!.at(-1)).to.include({ participantsPeak: 0, participantSeconds: 0, conferencesPeak: 0 });
    sampler.stop();
    const count = written.get('service')!.length;
    await h.clock.advance(120_000);
    expect(written.get('service')).to.have.length(count);
  });
});
