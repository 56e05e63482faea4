/**
 * The shipped Kamailio configuration (kamailio/kamailio.cfg), run by Debian's kamailio exactly as an admin
 * would, in front of sipp stand-ins for the Asterisk nodes, with sipp callers. End to end: real SIP over
 * UDP between real programs, nothing of the app involved, so it lives here and not in test/integration
 * (which runs against the ARI double).
 */
import { expect } from 'chai';
import { createSocket } from 'node:dgram';
import { SipLab, sipLabAvailable, sleep, type Kamailio, type Node } from '../support/sipFront';

const OUT_OF_ROTATION_MS = 10000;

/** Polls Kamailio's own dispatcher state until the node's flags match; the time it took, ms. */
async function waitForState(k: Kamailio, node: Node, flags: RegExp, timeoutMs: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (flags.test((await k.dispatcher()).get(node.uri) ?? '')) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`${node.name} not ${String(flags)} after ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Kamailio's log lines of the script (`{METHOD call-id} <script>: text`), as [call-id, text]. */
function scriptLines(k: Kamailio, from = 0): { at: number; callId: string; text: string }[] {
  return k.log
    .filter((l) => l.at >= from)
    .map((l) => ({ at: l.at, m: /\{\S+ (\S+)\} <script>: (.*)$/.exec(l.text) }))
    .filter((l): l is { at: number; m: RegExpExecArray } => l.m !== null)
    .map((l) => ({ at: l.at, callId: l.m[1]!, text: l.m[2]! }));
}

describe('Kamailio in front of the Asterisk nodes (Debian kamailio, sipp nodes and callers)', function () {
  this.timeout(120000);
  let lab: SipLab;

  before(function () {
    if (!sipLabAvailable()) this.skip();
  });
  beforeEach(() => {
    lab = new SipLab();
  });
  afterEach(async () => {
    await lab?.stop();
  });

  it('spreads calls over the nodes, record-routed so the BYE comes back through it', async () => {
    const a = await lab.node('a');
    const b = await lab.node('b');
    const k = await lab.kamailio([a, b]);
    const run = await lab.calls(k.port, '700', 20, 20);
    expect(run.successful).to.equal(20);
    expect(run.failed).to.equal(0);
    // round robin: each node every other call
    expect(a.calls()).to.have.length(10);
    expect(b.calls()).to.have.length(10);
    // in the dialog: the nodes' BYEs and re-INVITEs go back through Kamailio
    for (const rr of [...a.recordRoutes(), ...b.recordRoutes()]) expect(rr).to.equal(`<sip:127.0.0.1:${k.port};lr>`);
  });

  it('takes a killed node out of rotation in under 10 s by probing alone, and back when it returns', async () => {
    const a = await lab.node('a');
    const b = await lab.node('b');
    const k = await lab.kamailio([a, b]);
    await sleep(1500);
    await b.kill();
    const outMs = await waitForState(k, b, /^I/, 15000);
    expect(outMs, `out of rotation after ${outMs} ms`).to.be.below(OUT_OF_ROTATION_MS);
    expect((await k.dispatcher()).get(a.uri)).to.match(/^A/);

    const before = a.calls().length;
    const during = await lab.calls(k.port, '700', 6, 20);
    expect(during.successful).to.equal(6);
    expect(a.calls().length - before, 'every call on the live node, none tried on the dead one').to.equal(6);
    expect(scriptLines(k).filter((l) => l.text.startsWith('retry'))).to.have.length(0);

    await b.restart();
    await waitForState(k, b, /^A/, 10000);
    const after = await lab.calls(k.port, '700', 10, 20);
    expect(after.successful).to.equal(10);
    expect(b.calls(), 'the returned node takes calls again').to.have.length.above(3);
  });

  it('retries the calls sent to a node as it dies on the live node, and loses none', async () => {
    const a = await lab.node('a');
    const b = await lab.node('b');
    const k = await lab.kamailio([a, b]);
    const calls = lab.calls(k.port, '700', 80, 10);
    await sleep(2000);
    const killedAt = Date.now();
    await b.kill();
    const outMs = await waitForState(k, b, /^I/, 15000);
    const outAt = killedAt + outMs;
    const run = await calls;

    expect(outMs, `out of rotation after ${outMs} ms`).to.be.below(OUT_OF_ROTATION_MS);
    expect(run.failed, 'calls lost').to.equal(0);
    expect(run.successful).to.equal(80);
    const lines = scriptLines(k, killedAt);
    const retried = lines.filter((l) => /^retry 700 on \S+ after 408/.test(l.text));
    expect(retried.length, 'calls sent to the dead node were retried').to.be.above(0);
    const answeredByA = new Set(a.calls());
    for (const r of retried) {
      expect(r.text).to.contain(a.uri);
      expect(answeredByA.has(r.callId), `retried call ${r.callId} answered by the live node`).to.equal(true);
    }
    // once out of rotation, every new call goes straight to the live node
    const afterOut = lines.filter((l) => l.at > outAt + 100 && l.text.startsWith('dispatch 700'));
    expect(afterOut.length).to.be.above(10);
    for (const l of afterOut) expect(l.text).to.equal(`dispatch 700 to ${a.uri}`);

    await b.restart();
    await waitForState(k, b, /^A/, 10000);
    const back = await lab.calls(k.port, '700', 10, 20);
    expect(back.successful).to.equal(10);
    expect(b.calls().length, 'the node takes calls again').to.be.above(3);
  });

  it('retries a call a node refuses with 5xx on the next node', async () => {
    const busy = await lab.node('busy', 'node-busy-uas.xml');
    const a = await lab.node('a');
    const k = await lab.kamailio([busy, a]);
    const run = await lab.calls(k.port, '700', 10, 10);
    expect(run.successful, 'every call answered').to.equal(10);
    const refused = busy.calls();
    expect(refused.length, 'the busy node was tried').to.be.above(3);
    const answered = new Set(a.calls());
    for (const id of refused) expect(answered.has(id), `${id} went on to the other node`).to.equal(true);
    const retries = scriptLines(k).filter((l) => l.text.startsWith('retry 700'));
    expect(retries.map((l) => l.callId).sort()).to.deep.equal([...refused].sort());
    for (const r of retries) expect(r.text).to.equal(`retry 700 on ${a.uri} after 503`);
    // a 5xx is about the call, not the node: it stays in rotation
    expect((await k.dispatcher()).get(busy.uri)).to.match(/^A/);
  });

  it('keeps a conference number on one node while it is up (WITH_ROUTE_BY_NUMBER)', async () => {
    const a = await lab.node('a');
    const b = await lab.node('b');
    const k = await lab.kamailio([a, b], ['WITH_ROUTE_BY_NUMBER']);
    const where = (from: number): Map<string, string> => {
      const m = new Map<string, string>();
      for (const l of scriptLines(k, from)) {
        const d = /^dispatch (\d+) to (\S+)$/.exec(l.text);
        if (d) m.set(d[1]!, (m.has(d[1]!) && m.get(d[1]!) !== d[2] ? 'both' : d[2])!);
      }
      return m;
    };
    for (let n = 700; n < 712; n++) await lab.calls(k.port, String(n), 3, 20);
    const first = where(0);
    expect(first.size).to.equal(12);
    expect([...first.values()], 'each number on one node').to.not.include('both');
    expect(new Set(first.values()), 'the numbers spread over both nodes').to.have.property('size', 2);

    const onB = [...first].filter(([, uri]) => uri === b.uri).map(([n]) => n);
    await b.kill();
    await waitForState(k, b, /^I/, 15000);
    const t1 = Date.now();
    for (const n of onB) expect((await lab.calls(k.port, n, 2, 20)).successful).to.equal(2);
    for (const n of onB) expect(where(t1).get(n), `${n} moved to the live node`).to.equal(a.uri);

    await b.restart();
    await waitForState(k, b, /^A/, 10000);
    const t2 = Date.now();
    for (const n of onB) await lab.calls(k.port, n, 2, 20);
    for (const n of onB) expect(where(t2).get(n), `${n} back on its node`).to.equal(b.uri);
  });

  describe('as an SBC', () => {
    let k: Kamailio;
    let a: Node;
    beforeEach(async () => {
      a = await lab.node('a');
      k = await lab.kamailio([a], [], ['127.0.0.3']);
    });

    /** Sends raw SIP datagrams from `host` and collects the status lines answered within `waitMs`. */
    async function exchange(host: string, messages: string[], waitMs: number): Promise<string[]> {
      const socket = createSocket('udp4');
      const replies: string[] = [];
      socket.on('message', (m) => replies.push(m.toString().split('\r\n')[0]!));
      await new Promise<void>((resolve) => socket.bind(0, host, resolve));
      const { port } = socket.address();
      // 20 every 5 ms (4,000/s): faster than any caller, slow enough that no reply is lost in our own socket buffer
      for (let i = 0; i < messages.length; i += 20) {
        for (const m of messages.slice(i, i + 20)) socket.send(m.replaceAll('LOCAL', `${host}:${port}`), k.port, '127.0.0.1');
        await sleep(5);
      }
      await sleep(waitMs);
      socket.close();
      return replies;
    }

    const request = (method: string, id: string, extra: Partial<Record<'cseq' | 'maxForwards', string>> = {}): string =>
      [
        `${method} sip:${method === 'OPTIONS' ? '' : '700@'}127.0.0.1:${k.port} SIP/2.0`,
        `Via: SIP/2.0/UDP LOCAL;branch=z9hG4bK-${id}`,
        `From: <sip:tester@LOCAL>;tag=t-${id}`,
        `To: <sip:700@127.0.0.1:${k.port}>`,
        `Call-ID: ${id}@test`,
        `CSeq: ${extra.cseq ?? `1 ${method}`}`,
        `Max-Forwards: ${extra.maxForwards ?? '70'}`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');

    it('blocks a flood from one address and still serves the others (pike)', async () => {
      const flood = Array.from({ length: 1500 }, (_, i) => request('OPTIONS', `flood-${i}`));
      const answered = await exchange('127.0.0.2', flood, 1000);
      // pike lets between PIKE_DENSITY (100) and three times that through in its 2 s unit, then drops
      expect(answered.length, 'answered out of 1500').to.be.within(100, 400);
      expect(k.log.some((l) => l.text.includes('pike blocking OPTIONS from 127.0.0.2'))).to.equal(true);
      expect(await exchange('127.0.0.2', [request('OPTIONS', 'still-blocked')], 300)).to.deep.equal([]);
      expect(await exchange('127.0.0.1', [request('OPTIONS', 'other')], 300)).to.deep.equal(['SIP/2.0 200 OK']);
      const calls = await lab.calls(k.port, '700', 3, 10);
      expect(calls.successful, 'callers from another address get through').to.equal(3);
      // a trusted peer (a carrier's trunk) is never limited
      const trunk = await exchange('127.0.0.3', flood.slice(0, 600), 1000);
      expect(trunk.length, 'answered to the trusted peer out of 600').to.equal(600);
    });

    it('rejects a malformed request (sanity) and a looping one (max-forwards) before any node sees it', async () => {
      const replies = await exchange(
        '127.0.0.1',
        [request('INVITE', 'bad-cseq', { cseq: '1 BYE' }), request('INVITE', 'bad-value', { cseq: 'x INVITE' })],
        500,
      );
      expect(replies.sort()).to.deep.equal(['SIP/2.0 400 CSeq method does not match request method', 'SIP/2.0 400 CSeq number is illegal']);
      expect(await exchange('127.0.0.1', [request('INVITE', 'loop', { maxForwards: '0' })], 500)).to.deep.equal([
        'SIP/2.0 483 Too Many Hops',
      ]);
      expect(a.calls()).to.deep.equal([]);
    });
  });
});
