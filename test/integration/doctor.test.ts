import { expect } from 'chai';
import { Writable } from 'node:stream';
import { runDoctor } from '../../src/cli/doctor';
import { hostTimer, promptSounds, receiveBuffer, RTP_RECEIVE_BUFFER, type Check } from '../../src/cli/doctor/checks';
import { DEFAULT_PROMPTS } from '../../src/conference/prompts';
import type { TimerStats } from '../../src/timing/ConferenceTimer';
import { configSchema } from '../../src/config/schema';
import { AsteriskDouble } from '../double';

async function doctor(ast: AsteriskDouble | string, extra: Record<string, unknown> = {}): Promise<{ code: number; checks: Check[] }> {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _e, cb) {
      text += chunk.toString();
      cb();
    },
  });
  const url = typeof ast === 'string' ? ast : ast.url;
  const config = configSchema.parse({ ari: { url, requestTimeoutMs: 1000 }, ...extra });
  const code = await runDoctor(config, { json: true, timingSeconds: 1 }, out);
  return { code, checks: (JSON.parse(text) as { checks: Check[] }).checks };
}

const find = (checks: Check[], name: string): Check => checks.find((c) => c.name === name)!;
/** The host timer check measures the machine running the tests, not Asterisk: judged by its own test below. */
const asteriskChecks = (checks: Check[]): Check[] => checks.filter((c) => c.name !== 'host timer');
const exitFor = (checks: Check[], asteriskCode: number): number => (find(checks, 'host timer').status === 'fail' ? 1 : asteriskCode);

describe('ari-meetme doctor', function () {
  this.timeout(20000);

  it('passes every check on a healthy Asterisk, with the self-test tone, packet rate and jitter', async () => {
    const ast = await AsteriskDouble.start();
    try {
      const { code, checks } = await doctor(ast);
      expect(
        asteriskChecks(checks).filter((c) => c.status === 'fail'),
        JSON.stringify(checks),
      ).to.deep.equal([]);
      expect(find(checks, 'host timer').detail).to.match(/ticks, lateness p50 [\d.]+ ms, p99/);
      expect(code).to.equal(exitFor(checks, 0));
      expect(find(checks, 'Asterisk version').detail).to.contain('22.10.1');
      expect(find(checks, 'Asterisk timing module').detail).to.contain('res_timing_timerfd');
      expect(find(checks, 'end to end audio').detail)
        .to.match(/1004 Hz/)
        .and.match(/jitter/);
      expect(ast.bridges(), 'self-test cleaned up').to.have.length(0);
      expect(ast.channels()).to.have.length(0);
    } finally {
      await ast.stop();
    }
  });

  it('passes the end-to-end audio check on an Asterisk with no timing module: Echo() needs no timer', async () => {
    const ast = await AsteriskDouble.start({ timing: false });
    try {
      const { checks } = await doctor(ast);
      const audio = find(checks, 'end to end audio');
      expect(audio.status, JSON.stringify(audio)).to.equal('pass');
      expect(audio.detail).to.match(/^(9[5-9]|100)\/100 packets back, (4[6-9]|5[0-4])\.\d\/s, interarrival jitter/);
      expect(find(checks, 'Asterisk version').detail).to.contain('22.10.1');
      expect(
        checks.map((c) => c.name),
        'no DTMF warning on 22.10.1',
      ).to.not.include('DTMF without a timer');
      expect(ast.bridges(), 'self-test cleaned up').to.have.length(0);
    } finally {
      await ast.stop();
    }
  });

  it('warns that DTMF can crash an Asterisk older than 22.9.0 with no timing module (asterisk/asterisk#566)', async () => {
    const old = await AsteriskDouble.start({ timing: false, version: '22.5.2' });
    try {
      const dtmf = find((await doctor(old)).checks, 'DTMF without a timer');
      expect(dtmf).to.include({ status: 'warn' });
      expect(dtmf.detail).to.contain('22.5.2').and.contain('asterisk/asterisk#566');
      expect(dtmf.fix).to.contain('22.9.0').and.contain('res_timing_timerfd');
    } finally {
      await old.stop();
    }
    const timed = await AsteriskDouble.start({ timing: true, version: '22.5.2' });
    try {
      expect(
        (await doctor(timed)).checks.map((c) => c.name),
        'a timer makes it safe',
      ).to.not.include('DTMF without a timer');
    } finally {
      await timed.stop();
    }
  });

  it('warns when http.conf sessionlimit cannot hold the connection pool and the events socket', async () => {
    const small = await AsteriskDouble.start({ sessionLimit: 15 });
    try {
      const { checks } = await doctor(small);
      const limit = find(checks, 'HTTP session limit');
      expect(limit, JSON.stringify(limit)).to.include({ status: 'warn' });
      expect(limit.detail).to.match(/closed \d+ and left 0 unanswered of 22 connections/);
      expect(limit.fix).to.contain('sessionlimit').and.contain('ari.maxConnections');
      expect(find(checks, 'end to end audio').status, 'the doctor itself still gets through').to.equal('pass');
      const fewer = await doctor(small, { ari: { url: small.url, requestTimeoutMs: 1000, maxConnections: 8 } });
      expect(find(fewer.checks, 'HTTP session limit')).to.include({ status: 'pass' });
      expect(find(fewer.checks, 'HTTP session limit').detail).to.contain('10 connections held at once');
    } finally {
      await small.stop();
    }
  });

  it('checks every prompt the caller flow and the conference play, and names the missing one', async () => {
    const wanted = promptSounds();
    expect(wanted).to.include.members(['conf-adminmenu', 'conf-usermenu', 'conf-placeintoconf', 'conf-leaderhasleft', 'conf-enteringno']);
    expect(wanted).to.have.length(new Set(Object.values(DEFAULT_PROMPTS)).size);
    const ast = await AsteriskDouble.start();
    try {
      expect(find((await doctor(ast)).checks, 'conference prompts').detail).to.equal(`${wanted.length} prompts found`);
      ast.asterisk.missingSounds.add('conf-adminmenu');
      const missing = find((await doctor(ast)).checks, 'conference prompts');
      expect(missing).to.include({ status: 'fail', detail: 'missing: conf-adminmenu' });
      // A `prompts:` override in the config file is what gets played, so it is what is checked.
      const custom = await doctor(ast, { prompts: { adminMenu: 'beep', getPin: 'custom/enter-pin' } });
      expect(find(custom.checks, 'conference prompts')).to.include({ status: 'fail', detail: 'missing: custom/enter-pin' });
    } finally {
      await ast.stop();
    }
  });

  it('names the missing timing module and points to the app mixer', async () => {
    const ast = await AsteriskDouble.start({ timing: false });
    try {
      const app = await doctor(ast);
      const timing = find(app.checks, 'Asterisk timing module');
      expect(timing.status).to.equal('warn');
      expect(timing.fix).to.contain('res_timing_timerfd').and.contain('mixer: app');
      expect(app.code, 'the app mixer still works').to.equal(exitFor(app.checks, 0));
      const asterisk = await doctor(ast, { mixer: { default: 'asterisk' } });
      expect(find(asterisk.checks, 'Asterisk timing module').status).to.equal('fail');
      expect(asterisk.code).to.equal(1);
    } finally {
      await ast.stop();
    }
  });

  it('fails with the fix for bad credentials, a missing module and an unreachable Asterisk', async () => {
    const ast = await AsteriskDouble.start({ password: 'other' });
    try {
      const bad = await doctor(ast);
      expect(bad.code).to.equal(1);
      expect(find(bad.checks, 'ARI credentials').fix).to.contain('ari.conf');
    } finally {
      await ast.stop();
    }
    const noRtp = await AsteriskDouble.start();
    try {
      noRtp.setModule('chan_rtp.so', false);
      const result = await doctor(noRtp);
      expect(find(result.checks, 'app mixer (chan_rtp)')).to.include({ status: 'fail' });
      expect(find(result.checks, 'end to end audio').status).to.not.equal('pass');
    } finally {
      await noRtp.stop();
    }
    const down = await doctor('http://127.0.0.1:1');
    expect(down.code).to.equal(1);
    expect(find(down.checks, 'ARI reachable').fix).to.contain('http.conf');
  });
});

describe('doctor: host timer', () => {
  const stats = (p99: number, ticks: number, skipped = 0, due = 500): TimerStats => ({
    due,
    ticks,
    skipped,
    lateTicks: 0,
    earlyTicks: 0,
    running: false,
    lateness: { count: ticks, p50: 0.1, p99, max: p99, mean: 0.2 },
  });

  it('passes a steady clock, warns on late ticks, fails on ticks a frame late or missing', () => {
    expect(hostTimer(stats(0.4, 500)).status).to.equal('pass');
    const late = hostTimer(stats(6, 500));
    expect(late).to.include({ status: 'warn' });
    expect(late.fix).to.contain('CPU steal');
    expect(hostTimer(stats(25, 500)).status).to.equal('fail');
    const missing = hostTimer(stats(0.4, 480));
    expect(missing).to.include({ status: 'fail' });
    expect(missing.detail).to.contain('480/500 ticks');
    expect(hostTimer(stats(0.4, 470, 30)).status, 'skipped ticks are lost frames').to.equal('fail');
  });
});

describe('doctor: UDP receive buffer', () => {
  it('warns, with the sysctl to run, when the kernel caps the RTP buffer below what the engine asks', () => {
    expect(receiveBuffer(212992)).to.include({ status: 'warn' });
    expect(receiveBuffer(212992).fix).to.contain(`net.core.rmem_max=${RTP_RECEIVE_BUFFER}`);
    expect(receiveBuffer(RTP_RECEIVE_BUFFER).status).to.equal('pass');
  });
});
