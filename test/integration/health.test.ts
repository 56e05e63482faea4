import { expect } from 'chai';
import { createApi } from '../../src/app/api';
import { silentLogger } from '../../src/lib/logger';
import { startApp, waitFor, type Running } from '../support/appHarness';

describe('health probes and metrics', function () {
  this.timeout(20000);
  let r: Running;
  afterEach(async () => r?.stop());

  const api = (running: Running) => createApi(running.app, running.config, silentLogger());

  it('is live always, ready when ARI is connected and reconciled, and not ready while draining', async () => {
    r = await startApp({}, { timing: false });
    const http = await api(r);
    expect((await http.inject('/healthz')).json()).to.deep.equal({ status: 'ok' });
    const ready = await http.inject('/readyz');
    expect(ready.statusCode).to.equal(200);
    expect(ready.json()).to.deep.include({ status: 'ready' });
    r.app.drain();
    const draining = await http.inject('/readyz');
    expect(draining.statusCode).to.equal(503);
    expect(draining.json().checks).to.deep.include({ accepting: false, ari: true });
    r.ast.dropEventSockets();
    await waitFor(() => !r.app.ari.connected);
    expect((await http.inject('/readyz')).json().checks.ari).to.equal(false);
    expect((await http.inject('/healthz')).statusCode).to.equal(200);
  });

  it('exposes conferences, participants, RTP and tick figures that move with calls', async () => {
    r = await startApp({}, { timing: false });
    const http = await api(r);
    const value = (text: string, pattern: RegExp): number => Number(pattern.exec(text)?.[1] ?? NaN);
    const before = (await http.inject('/metrics')).body;
    expect(value(before, /^meetme_rtp_packets_in_total (\d+)/m)).to.equal(0);
    r.ast.dial({ exten: '31', toneHz: 440 });
    r.ast.dial({ exten: '31', toneHz: 880 });
    await waitFor(() => r.app.engine.stats().packetsIn > 50 && r.app.engine.stats().packetsOut > 50, 8000, 'RTP flowing');
    const response = await http.inject('/metrics');
    expect(response.headers['content-type']).to.match(/^text\/plain/);
    const text = response.body;
    expect(value(text, /^meetme_participants\{node="asterisk-1",backend="app"\} (\d+)/m)).to.equal(2);
    expect(value(text, /^meetme_conferences\{node="asterisk-1",backend="app"\} (\d+)/m)).to.equal(1);
    expect(value(text, /^meetme_rtp_packets_in_total (\d+)/m)).to.be.greaterThan(50);
    expect(value(text, /^meetme_rtp_packets_out_total (\d+)/m)).to.be.greaterThan(50);
    expect(value(text, /^meetme_tick_lateness_seconds_count (\d+)/m)).to.be.greaterThan(10);
    expect(text).to.match(/^meetme_ari_reconnects_total\{node="asterisk-1"\} 0/m);
    // Both callers are in one conference, so on one media thread; every thread is up.
    const legs = [...text.matchAll(/^meetme_media_thread_legs\{thread="(\d+)"\} (\d+)/gm)].map((m) => Number(m[2]));
    expect(legs.length).to.equal(r.app.engine.ports.length);
    expect(legs.reduce((a, b) => a + b, 0)).to.equal(2);
    expect(legs.filter((n) => n > 0)).to.deep.equal([2]);
    expect([...text.matchAll(/^meetme_media_thread_up\{thread="\d+"\} 1/gm)]).to.have.length(legs.length);
    expect(text).to.match(/^meetme_media_thread_restarts_total\{thread="0"\} 0/m);
  });
});
