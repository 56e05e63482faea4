import { expect } from 'chai';
import { Metrics, type MetricSources } from '../../../src/app/metrics';
import type { ConferenceSnapshot } from '../../../src/conference/model';

function sources(conferences: ConferenceSnapshot[]): MetricSources {
  return {
    nodes: () => [{ id: 'asterisk-1', up: true, reconnects: 0, requestErrors: 0 }],
    conferences: () => conferences,
    rtp: () => ({ packetsIn: 0, packetsOut: 0, lost: 0, late: 0, foreign: 0, malformed: 0 }),
    mediaThreads: () => [],
  };
}

const conference = (participants: number): ConferenceSnapshot =>
  ({
    id: 'c1',
    number: '100',
    name: '100',
    locked: false,
    recording: null,
    mixer: 'app',
    nodeId: 'asterisk-1',
    startedAt: new Date(0).toISOString(),
    maxMembers: null,
    participants: Array.from({ length: participants }, (_, i) => ({ id: `p${i}`, nodeId: 'asterisk-1' })),
  }) as ConferenceSnapshot;

describe('metrics', () => {
  it('reads 0 conferences and participants on every backend when nothing is live, instead of vanishing', async () => {
    const live: ConferenceSnapshot[] = [conference(2)];
    const metrics = new Metrics(sources(live));
    const busy = await metrics.render();
    expect(busy).to.match(/^meetme_participants\{node="asterisk-1",backend="app"\} 2$/m);
    live.length = 0;
    const idle = await metrics.render();
    for (const name of ['meetme_conferences', 'meetme_participants'])
      for (const backend of ['app', 'asterisk'])
        expect(idle).to.match(new RegExp(`^${name}\\{node="asterisk-1",backend="${backend}"\\} 0$`, 'm'));
  });

  it('names process and Node.js metrics meetme_process_* and meetme_nodejs_*', async () => {
    const text = await new Metrics(sources([])).render();
    expect(text)
      .to.match(/^meetme_process_cpu_seconds_total /m)
      .and.match(/^meetme_nodejs_eventloop_lag_seconds /m);
    expect(text).to.not.contain('process_process');
  });
});
