import { expect } from 'chai';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { buildApi } from '../../../src/api/buildApi';
import { LocalRecordingFiles } from '../../../src/api/recordingFiles';
import { CapacityService } from '../../../src/app/capacity/CapacityService';
import { registerCapacityMetrics } from '../../../src/app/capacity/metrics';
import { DAY_MS, SERVICE } from '../../../src/capacity/history';
import { configSchema } from '../../../src/config/schema';
import { FakeClock } from '../../../src/lib/clock';
import { silentLogger } from '../../../src/lib/logger';
import { DefinitionStore } from '../../../src/store/DefinitionStore';
import { RecordingsIndex } from '../../../src/store/RecordingsIndex';
import { Store } from '../../../src/store/Store';
import { UsageHistory } from '../../../src/store/UsageHistory';
import { MONTH, syntheticMinutes } from '../../support/syntheticUsage';
import { harness } from '../conference/fakes';

const END = MONTH.start + MONTH.days * DAY_MS;
const H = 3600_000;
const ADMIN = 'admin-key-0123456789abcdef';
const VIEWER = 'viewer-key-0123456789abcdef';

describe('capacity API', () => {
  let api: FastifyInstance;
  let clock: FakeClock;
  let service: CapacityService;
  let definitions: DefinitionStore;

  beforeEach(async () => {
    const store = new Store(':memory:');
    const history = new UsageHistory(store);
    history.record(syntheticMinutes(MONTH).map((minute) => ({ scope: SERVICE, minute })));
    history.record(
      syntheticMinutes(MONTH, [], { from: END - DAY_MS, to: END }).map((minute) => ({ scope: { kind: 'node', node: 'a1' }, minute })),
    );
    definitions = new DefinitionStore(store);
    clock = new FakeClock(END);
    service = new CapacityService({
      settings: configSchema.parse({}).capacity,
      history,
      directory: definitions,
      clock,
      hook: () => undefined,
    });
    api = await buildApi({
      logger: silentLogger(),
      readiness: () => ({ ready: true, checks: {} }),
      metrics: async () => ({ contentType: 'text/plain', body: '' }),
      control: harness().manager,
      definitions,
      recordings: new RecordingsIndex(store),
      recordingFiles: () => new LocalRecordingFiles(),
      keys: [
        { name: 'ops', role: 'admin', key: ADMIN },
        { name: 'wall', role: 'viewer', key: VIEWER },
      ],
      capacity: service,
    });
  });
  afterEach(async () => api.close());

  const get = (url: string, key = VIEWER) => api.inject({ url, headers: { authorization: `Bearer ${key}` } });

  it('answers the plan: 48 hours of forecast with its band, nodes per slot, actions with times, the forecast error', async () => {
    const res = await get('/api/v1/capacity/plan');
    expect(res.statusCode).to.equal(200);
    const plan = res.json();
    expect(plan.generatedAt).to.equal('2026-02-09T00:00:00.000Z');
    expect(plan.parameters).to.deep.include({ hours: 48, nodeCapacity: 500, headroom: 0.2, leadMinutes: 30, usablePerNode: 400 });
    expect(plan.slots).to.have.length(192);
    expect(plan.slots[0]).to.have.keys(['start', 'participants', 'upper', 'booked', 'nodes', 'basis']);
    const noon = plan.slots.find((s: { start: string }) => s.start === '2026-02-09T12:00:00.000Z');
    expect(noon.upper).to.be.above(noon.participants);
    expect(plan.actions[0]).to.include({ at: '2026-02-09T07:45:00.000Z', from: 1, to: 2, direction: 'up' });
    expect(plan.forecastError.weeks).to.have.length(4);
    expect(plan.hook).to.equal(null);
    expect((await api.inject({ url: '/api/v1/capacity/plan' })).statusCode).to.equal(401);
  });

  it('plans for a what-if (more headroom, a shorter horizon) and for a conference booked through the API', async () => {
    const plan = (await get('/api/v1/capacity/plan?hours=24&headroom=0.5&leadMinutes=60')).json();
    expect(plan.slots).to.have.length(96);
    const firstRise = plan.slots.find((s: { nodes: number }) => s.nodes > 1);
    expect(Date.parse(plan.actions[0].at)).to.equal(Date.parse(firstRise.start) - H); // an hour ahead, as asked
    expect(Math.max(...plan.slots.map((s: { nodes: number }) => s.nodes))).to.be.at.least(10);

    const schedule = { start: '2026-02-09T19:00:00Z', end: '2026-02-09T20:00:00Z', earlyJoinMinutes: 15 };
    const created = await api.inject({
      method: 'POST',
      url: '/api/v1/definitions',
      headers: { authorization: `Bearer ${ADMIN}` },
      payload: { number: '700', name: 'All hands', maxMembers: 900, schedule },
    });
    expect(created.statusCode).to.equal(201);
    const booked = (await get('/api/v1/capacity/plan?hours=24')).json();
    expect(booked.bookings).to.deep.equal([
      { number: '700', start: '2026-02-09T18:45:00.000Z', end: '2026-02-09T20:00:00.000Z', participants: 900 },
    ]);
    const at1900 = booked.slots.find((s: { start: string }) => s.start === '2026-02-09T19:00:00.000Z');
    expect(at1900).to.include({ booked: 900, nodes: 3 });
    expect(booked.actions.some((a: { at: string; to: number }) => a.at === '2026-02-09T18:15:00.000Z' && a.to === 3)).to.equal(true);
  });

  it('refuses a plan for 10 years, a negative headroom and other bad input with a 400 naming the field', async () => {
    const cases: [string, string][] = [
      ['hours=87600', 'querystring.hours'],
      ['hours=0', 'querystring.hours'],
      ['hours=1.5', 'querystring.hours'],
      ['headroom=-0.1', 'querystring.headroom'],
      ['headroom=1', 'querystring.headroom'],
      ['nodeCapacity=lots', 'querystring.nodeCapacity'],
      ['leadMinutes=-5', 'querystring.leadMinutes'],
      ['years=10', 'querystring.years'],
    ];
    for (const [query, field] of cases) {
      const res = await get(`/api/v1/capacity/plan?${query}`);
      expect(res.statusCode, query).to.equal(400);
      expect(res.json().error, query).to.include({ code: 'invalid_request', field });
    }
    expect((await get('/api/v1/capacity/plan?hours=87600')).json().error.message).to.equal(
      'querystring.hours: must be a whole number from 1 to 168, not 87600',
    );
  });

  it('answers the history of the service or one node, in steps, with peak and mean', async () => {
    const res = await get('/api/v1/capacity/history?from=2026-02-06T00:00:00Z&to=2026-02-07T00:00:00Z&step=60');
    expect(res.statusCode).to.equal(200);
    const history = res.json();
    expect(history).to.include({ node: null, stepMinutes: 60, retentionDays: 56 });
    expect(history.nodes).to.deep.equal(['a1']);
    expect(history.points).to.have.length(24);
    const noon = history.points[12];
    expect(noon).to.include({ at: '2026-02-06T12:00:00.000Z', minutes: 60 });
    expect(noon.participantsPeak).to.be.above(2000);
    expect(noon.participantsMean).to.be.below(noon.participantsPeak);
    expect(noon.conferencesPeak).to.be.above(300);

    const node = (await get('/api/v1/capacity/history?node=a1&step=1440&from=2026-02-01T00:00:00Z')).json();
    expect(node.points).to.have.length(1);
    expect(node.points[0]).to.include({ at: '2026-02-08T00:00:00.000Z', minutes: 1440 });
    // The default: the last 48 hours in 15-minute steps.
    expect((await get('/api/v1/capacity/history')).json().points).to.have.length(192);
  });

  it('refuses a history range backwards, longer than 400 days, or in too many points, naming the field', async () => {
    const cases: [string, string][] = [
      ['from=2026-02-08T00:00:00Z&to=2026-02-07T00:00:00Z', 'querystring.from'],
      ['from=2016-02-08T00:00:00Z', 'querystring.from'],
      ['from=2026-01-01T00:00:00Z&step=1', 'querystring.step'],
      ['step=7', 'querystring.step'],
      ['from=yesterday', 'querystring.from'],
    ];
    for (const [query, field] of cases) {
      const res = await get(`/api/v1/capacity/history?${query}`);
      expect(res.statusCode, query).to.equal(400);
      expect(res.json().error.field, query).to.equal(field);
    }
  });

  it('exports the desired nodes and the forecast they are for as Prometheus gauges', async () => {
    const registry = new Registry();
    registerCapacityMetrics(registry, () => service.lookahead());
    await clock.advance(9 * H + 45 * 60_000);
    const text = await registry.metrics();
    const desired = Number(/^meetme_capacity_desired_nodes (\d+)$/m.exec(text)?.[1]);
    const upper = Number(/^meetme_capacity_forecast_participants\{band="upper"\} (\d+)$/m.exec(text)?.[1]);
    const expected = Number(/^meetme_capacity_forecast_participants\{band="expected"\} (\d+)$/m.exec(text)?.[1]);
    expect(desired).to.equal(service.plan().desiredNodes);
    expect(desired).to.equal(Math.ceil(upper / 400));
    expect(expected).to.be.within(1000, upper);
  });
});
