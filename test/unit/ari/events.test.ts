import { expect } from 'chai';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { AriClient, type AriEvent } from '../../../src/ari';
import { silentLogger } from '../../../src/lib/logger';
import { waitFor } from '../../support/logger';

// Shapes as recorded in caller-joins-mixing-bridge.jsonl.
const stasisStart = (id: string) => ({
  type: 'StasisStart',
  timestamp: '2026-11-22T23:53:51.634+0000',
  args: ['1234'],
  channel: { id, name: 'PJSIP/alice-00000001', state: 'Ring', caller: { name: 'Alice', number: '1001' } },
  application: 'meetme',
});
const dtmf = (id: string, digit: string) => ({
  type: 'ChannelDtmfReceived',
  digit,
  duration_ms: 100,
  channel: { id },
  application: 'meetme',
  timestamp: '',
});
const bridgeDestroyed = (id: string) => ({ type: 'BridgeDestroyed', bridge: { id, channels: [] }, application: 'meetme', timestamp: '' });

describe('ARI events socket', () => {
  let http: Server;
  let wss: WebSocketServer;
  let url: string;
  let sockets: WebSocket[] = [];
  let connections = 0;
  let authHeader: string | undefined;

  async function listen(port = 0): Promise<void> {
    http = createServer();
    wss = new WebSocketServer({ server: http });
    wss.on('connection', (socket, req) => {
      connections++;
      authHeader = req.headers.authorization;
      sockets.push(socket);
    });
    await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  }

  async function shutdown(): Promise<void> {
    for (const s of wss.clients) s.terminate();
    wss.close();
    await new Promise((resolve) => http.close(resolve));
  }

  beforeEach(async () => {
    sockets = [];
    connections = 0;
    await listen();
  });
  afterEach(shutdown);

  const client = () =>
    new AriClient({
      url,
      username: 'asterisk',
      password: 'asterisk',
      app: 'meetme',
      reconnect: { minMs: 20, maxMs: 100 },
      logger: silentLogger(),
    });

  it('routes events to the owner of the channel or bridge id, and disposers stop them', async () => {
    const ari = client();
    await ari.connect();
    expect(authHeader).to.match(/^Basic /);
    const forA: string[] = [];
    const starts: string[] = [];
    const disposeA = ari.onChannel('A', (e) => forA.push(e.type));
    ari.onStasisStart((e) => starts.push(e.channel.id));
    let destroyed = 0;
    ari.onBridge('B', () => destroyed++);
    const socket = sockets[0]!;
    socket.send(JSON.stringify(stasisStart('A')));
    socket.send(JSON.stringify(dtmf('C', '1')));
    socket.send(JSON.stringify(bridgeDestroyed('B')));
    await waitFor(() => destroyed === 1);
    expect(forA).to.deep.equal(['StasisStart']);
    expect(starts).to.deep.equal(['A']);
    disposeA();
    socket.send(JSON.stringify(dtmf('A', '2')));
    socket.send(JSON.stringify(bridgeDestroyed('B')));
    await waitFor(() => destroyed === 2);
    expect(forA).to.deep.equal(['StasisStart']);
    await ari.close();
  });

  it('leaks no routes after many register/dispose cycles', () => {
    const ari = client();
    const before = ari.stats().routes;
    for (let i = 0; i < 10000; i++) {
      const d1 = ari.onChannel(`ch-${i}`, () => undefined);
      const d2 = ari.onPlayback(`pb-${i}`, () => undefined);
      d1();
      d2();
      d2();
    }
    expect(ari.stats().routes).to.equal(before);
  });

  it('keeps running other handlers when one throws, and counts unparsable messages', async () => {
    const ari = client();
    await ari.connect();
    const seen: string[] = [];
    ari.onChannel('A', () => {
      throw new Error('bad handler');
    });
    ari.onChannel('A', (e) => seen.push(e.type));
    sockets[0]!.send('not json');
    sockets[0]!.send(JSON.stringify(dtmf('A', '5')));
    await waitFor(() => seen.length === 1);
    expect(ari.stats().unparsableEvents).to.equal(1);
    await ari.close();
  });

  it('reconnects with backoff after the socket drops and says it was a reconnect', async () => {
    const ari = client();
    const infos: boolean[] = [];
    ari.events.on('connected', (i) => infos.push(i.reconnect));
    await ari.connect();
    sockets[0]!.terminate();
    await waitFor(() => infos.length === 2, 5000, 'reconnect');
    expect(infos).to.deep.equal([false, true]);
    expect(ari.stats().reconnects).to.equal(1);
    const events: AriEvent[] = [];
    ari.events.on('event', (e) => events.push(e));
    sockets[1]!.send(JSON.stringify(dtmf('Z', '9')));
    await waitFor(() => events.length === 1);
    await ari.close();
    const count = connections;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(connections, 'no reconnect after close').to.equal(count);
  });

  it('keeps retrying while Asterisk is down and connects when it comes up', async () => {
    const port = (http.address() as AddressInfo).port;
    await shutdown();
    const ari = client();
    const connected = ari.connect();
    await new Promise((resolve) => setTimeout(resolve, 200));
    await listen(port);
    await connected;
    expect(ari.connected).to.equal(true);
    await ari.close();
  });

  it('reports ApplicationReplaced', async () => {
    const ari = client();
    await ari.connect();
    let replaced = 0;
    ari.events.on('replaced', () => replaced++);
    sockets[0]!.send(JSON.stringify({ type: 'ApplicationReplaced', application: 'meetme', timestamp: '' }));
    await waitFor(() => replaced === 1);
    await ari.close();
  });
});
