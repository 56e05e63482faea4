import { expect } from 'chai';
import { createApi } from '../../src/app/api';
import type { ConferenceEvent } from '../../src/conference/model';
import type { SimCaller } from '../double';
import { goertzelDb } from '../support/audio';
import { routeRedirects, startCluster, waitFor, type RunningCluster } from '../support/clusterHarness';
import { silentLogger } from '../../src/lib/logger';

const ADMIN = { name: 'ops', role: 'admin' as const, key: 'admin-key-0123456789abcdef' };

/** How far above its own tone a caller hears another's, over the last second. */
function over(caller: SimCaller, other: number, own: number): number {
  const heard = caller.heard();
  const tail = heard.subarray(Math.max(0, heard.length - 8000));
  return goertzelDb(tail, other) - goertzelDb(tail, own);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('several Asterisk nodes under one app, against one ARI double per node', function () {
  this.timeout(60000);
  let c: RunningCluster;
  let events: ConferenceEvent[];
  afterEach(async () => c?.stop());

  async function cluster(
    config: Parameters<typeof startCluster>[1] = {},
    double: Parameters<typeof startCluster>[2] = {},
    options: Parameters<typeof startCluster>[3] = {},
  ) {
    c = await startCluster(['node-a', 'node-b'], { apiKeys: [ADMIN], ...config }, double, options);
    events = [];
    c.app.manager.events.on('event', (e) => events.push(e));
    return c;
  }

  /** Participants in the mix (their media set up), as the event stream told it. */
  const joined = (number: string) =>
    events.filter((e) => e.type === 'participant.joined' && e.number === number).length -
    events.filter((e) => e.type === 'participant.left' && e.number === number).length;
  /** The conference's participants; none while it is not live. */
  const participants = (number: string) => c.app.manager.list().find((conf) => conf.number === number)?.participants ?? [];
  // Two Asterisks started in the same second hand out the same channel ids: a caller is their node and channel.
  const inMix = (_number: string, caller: SimCaller, node: string) => () =>
    events.some((e) => e.type === 'participant.joined' && e.participant.channelId === caller.channelId && e.participant.nodeId === node);

  it('mixes callers of the same number on two nodes in one room: each hears the other', async () => {
    await cluster({ mixer: { default: 'app' }, conferences: [{ number: '700', name: 'Span', options: 'q' }] }, { timing: false });
    const a = c.node('node-a').dial({ exten: '700', callerId: 'A <1>', toneHz: 440 });
    const b = c.node('node-b').dial({ exten: '700', callerId: 'B <2>', toneHz: 1200 });
    await waitFor(() => joined('700') === 2, 8000, 'both in 700');
    expect(
      participants('700')
        .map((p) => p.nodeId)
        .sort(),
    ).to.deep.equal(['node-a', 'node-b']);
    // Each caller's leg is in their own node's Asterisk.
    expect(
      c
        .node('node-a')
        .bridges()
        .filter((br) => br.name.startsWith('meetme-leg:')).length,
    ).to.equal(1);
    expect(
      c
        .node('node-b')
        .bridges()
        .filter((br) => br.name.startsWith('meetme-leg:')).length,
    ).to.equal(1);
    await sleep(500);
    a.clearHeard();
    b.clearHeard();
    await sleep(1200);
    expect(over(a, 1200, 440), 'a hears b').to.be.greaterThan(20);
    expect(over(b, 440, 1200), 'b hears a').to.be.greaterThan(20);
    const nodes = (
      await (await createApi(c.app, c.config, silentLogger())).inject({ url: '/api/v1/nodes', headers: { 'x-api-key': ADMIN.key } })
    ).json();
    expect(nodes.map((n: { id: string; state: string; participants: number }) => [n.id, n.state, n.participants])).to.deep.equal([
      ['node-a', 'up', 1],
      ['node-b', 'up', 1],
    ]);
    const metrics = await c.app.metrics.render();
    expect(metrics).to.match(/meetme_participants\{node="node-a",backend="app"\} 1/);
    expect(metrics).to.match(/meetme_participants\{node="node-b",backend="app"\} 1/);
  });

  it('callers join within 300 ms of ARI time at p95 (no prompts), whichever node they dial', async () => {
    await cluster({ mixer: { default: 'app' }, conferences: [{ number: '700', name: 'Span', options: 'q' }] });
    const dialled = new Map<string, number>();
    const took: number[] = [];
    c.app.manager.events.on('event', (e) => {
      if (e.type !== 'participant.joined') return;
      const at = dialled.get(`${e.participant.nodeId}/${e.participant.channelId}`);
      if (at !== undefined) took.push(performance.now() - at);
    });
    for (let i = 0; i < 20; i++) {
      const node = i % 2 === 0 ? 'node-a' : 'node-b';
      const caller = c.node(node).dial({ exten: '700', callerId: `C${i} <${i}>`, keepAudio: false });
      dialled.set(`${node}/${caller.channelId}`, performance.now());
      await sleep(100);
    }
    await waitFor(() => took.length === 20, 15000, 'all 20 in the mix');
    took.sort((x, y) => x - y);
    const p50 = took[9]!;
    const p95 = took[18]!;
    const rtt = process.env.MEETME_WAN_RTT_MS ?? '0';
    console.log(
      `      join latency with ${rtt} ms round trip to the nodes: p50 ${p50.toFixed(0)} ms, p95 ${p95.toFixed(0)} ms, max ${took[19]!.toFixed(0)} ms`,
    );
    expect(p95).to.be.lessThan(300);
  });

  it('a node that dies takes only its callers, who leave saying why; back, it is reconciled and takes callers again', async () => {
    await cluster({ mixer: { default: 'app' }, conferences: [{ number: '700', name: 'Span', options: 'q' }] }, { timing: false });
    const a = c.node('node-a').dial({ exten: '700', callerId: 'A <1>', toneHz: 440 });
    c.node('node-b').dial({ exten: '700', callerId: 'B <2>', toneHz: 1200 });
    await waitFor(() => joined('700') === 2, 8000, 'both in 700');
    const bId = participants('700').find((p) => p.nodeId === 'node-b')!.id;
    await c.kill('node-b');
    await waitFor(() => events.some((e) => e.type === 'participant.left' && e.participantId === bId), 5000, 'b left');
    const left = events.find((e) => e.type === 'participant.left' && e.participantId === bId);
    expect(left && 'reason' in left ? left.reason : '').to.match(/node node-b lost/);
    expect(participants('700').map((p) => p.nodeId)).to.deep.equal(['node-a']);
    expect(c.app.cluster.get('node-b')!.status().state).to.equal('down');
    expect(c.app.ready, 'the app still takes callers on node-a').to.equal(true);
    await waitFor(() => c.app.engine.stats().legs === 1, 3000, 'b out of the room');

    const back = await c.revive('node-b');
    await waitFor(() => c.app.cluster.get('node-b')!.status().ready, 10000, 'node-b ready again');
    const b2 = back.dial({ exten: '700', callerId: 'B2 <3>', toneHz: 1200 });
    await waitFor(inMix('700', b2, 'node-b'), 8000, 'b2 in 700');
    a.clearHeard();
    await sleep(1200);
    expect(over(a, 1200, 440), 'a hears the caller on the node that came back').to.be.greaterThan(20);
    // Nothing leaked: each node holds exactly its live caller's channel, leg channel and leg bridge.
    for (const id of ['node-a', 'node-b']) {
      expect(c.node(id).channels().length, `${id} channels`).to.equal(2);
      expect(c.node(id).bridges().length, `${id} bridges`).to.equal(1);
    }
    await waitFor(() => c.app.engine.stats().legs === 2, 3000, 'two legs in the room');
  });

  it('a node that drops for less than downAfterMs keeps its callers (a flap is not a death)', async () => {
    await cluster({ mixer: { default: 'app' }, ari: { downAfterMs: 3000 }, conferences: [{ number: '700', name: 'Span', options: 'q' }] });
    c.node('node-a').dial({ exten: '700', callerId: 'A <1>', toneHz: 440 });
    c.node('node-b').dial({ exten: '700', callerId: 'B <2>', toneHz: 1200 });
    await waitFor(() => joined('700') === 2, 8000, 'both in 700');
    for (let i = 1; i <= 3; i++) {
      c.node('node-b').dropEventSockets();
      await waitFor(() => c.app.cluster.get('node-b')!.status().reconnects === i, 5000, 'node-b back');
    }
    expect(participants('700').length).to.equal(2);
    expect(events.filter((e) => e.type === 'participant.left')).to.deep.equal([]);
    expect(c.app.cluster.get('node-b')!.status().reconnects).to.equal(3);
  });

  it('a drained node turns new callers away while its calls go on; the other node takes callers', async () => {
    await cluster({ mixer: { default: 'app' }, conferences: [{ number: '700', name: 'Span', options: 'q' }] });
    const api = await createApi(c.app, c.config, silentLogger());
    const a = c.node('node-a').dial({ exten: '700', callerId: 'A <1>' });
    await waitFor(inMix('700', a, 'node-a'), 8000, 'a in 700');
    const drained = await api.inject({ method: 'POST', url: '/api/v1/nodes/node-a/drain', headers: { 'x-api-key': ADMIN.key } });
    expect(drained.statusCode).to.equal(204);
    const late = c.node('node-a').dial({ exten: '700', callerId: 'Late <2>' });
    await waitFor(() => late.state === 'gone', 8000, 'the late caller hung up');
    expect(late.playbacks()).to.deep.equal(['sound:conf-locked']);
    const b = c.node('node-b').dial({ exten: '700', callerId: 'B <3>' });
    await waitFor(inMix('700', b, 'node-b'), 8000, 'b in 700 on the other node');
    expect(
      participants('700')
        .map((p) => p.channelId)
        .sort(),
    ).to.deep.equal([a.channelId, b.channelId].sort());
    const list = (await api.inject({ url: '/api/v1/nodes', headers: { 'x-api-key': ADMIN.key } })).json();
    expect(list.find((n: { id: string }) => n.id === 'node-a')).to.include({ draining: true, ready: false, participants: 1 });
    expect((await api.inject('/readyz')).statusCode, 'node-b still takes callers').to.equal(200);
    expect(
      (await api.inject({ method: 'POST', url: '/api/v1/nodes/nope/drain', headers: { 'x-api-key': ADMIN.key } })).statusCode,
    ).to.equal(404);
    await api.inject({ method: 'POST', url: '/api/v1/nodes/node-a/resume', headers: { 'x-api-key': ADMIN.key } });
    const again = c.node('node-a').dial({ exten: '700', callerId: 'Again <4>' });
    await waitFor(inMix('700', again, 'node-a'), 8000, 'node-a takes callers again');
  });

  it('an Asterisk-mixed conference lives on one node: a caller on the other is redirected there, never a second bridge', async () => {
    await cluster({ mixer: { default: 'asterisk' }, conferences: [{ number: '700', name: 'Bridge', options: 'q' }] });
    const arrivals: string[] = [];
    routeRedirects(c, (node) => arrivals.push(node));
    const a = c.node('node-a').dial({ exten: '700', callerId: 'A <1>' });
    await waitFor(inMix('700', a, 'node-a'), 8000, 'a in 700');
    const b = c.node('node-b').dial({ exten: '700', callerId: 'B <2>' });
    await waitFor(() => joined('700') === 2, 8000, 'b arrives on node-a and joins');
    expect(b.state).to.equal('gone');
    expect(arrivals).to.deep.equal(['node-a']);
    expect(participants('700').map((p) => p.nodeId)).to.deep.equal(['node-a', 'node-a']);
    const bridges = c
      .node('node-a')
      .bridges()
      .filter((br) => br.name === 'meetme-conf:700');
    expect(bridges.length).to.equal(1);
    expect(bridges[0]!.channels.length).to.equal(2);
    expect(c.node('node-b').bridges(), 'no half-conference on node-b').to.deep.equal([]);
    expect(c.node('node-b').channels()).to.deep.equal([]);
  });

  it('a caller on the wrong node who cannot be redirected hears a clear prompt and is hung up', async () => {
    // No redirectUri: there is nowhere to send them.
    await cluster(
      { mixer: { default: 'asterisk' }, conferences: [{ number: '700', name: 'Bridge', options: 'q' }] },
      {},
      { redirects: false },
    );
    const a = c.node('node-a').dial({ exten: '700', callerId: 'A <1>' });
    await waitFor(inMix('700', a, 'node-a'), 8000, 'a in 700');
    const b = c.node('node-b').dial({ exten: '700', callerId: 'B <2>' });
    await waitFor(() => b.state === 'gone', 8000, 'b hung up');
    expect(b.playbacks()).to.deep.equal(['sound:tt-allbusy']);
    expect(participants('700').length).to.equal(1);
    expect(c.node('node-b').bridges()).to.deep.equal([]);
  });
});
