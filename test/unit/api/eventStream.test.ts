import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { waitFor } from '../../support/logger';
import { settle } from '../conference/fakes';
import { apiHarness, KEYS, type ApiHarness } from './apiHarness';

interface Message {
  type: string;
  seq: number;
  [key: string]: unknown;
}

async function open(h: ApiHarness, query: string): Promise<{ socket: WebSocket; messages: Message[]; closed: Promise<number> }> {
  const port = (h.api.server.address() as AddressInfo).port;
  const socket = new WebSocket(`ws://127.0.0.1:${port}/api/v1/events?${query}`);
  const messages: Message[] = [];
  socket.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString('utf8')) as Message));
  const closed = new Promise<number>((resolve) => socket.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return { socket, messages, closed };
}

describe('event stream', function () {
  this.timeout(10000);
  let h: ApiHarness;
  beforeEach(async () => {
    h = await apiHarness(64 * 1024);
    await h.api.listen({ port: 0, host: '127.0.0.1' });
  });
  afterEach(async () => h.api.close());

  it('sends a snapshot, then deltas numbered without gaps', async () => {
    await h.join('100', 'a');
    const { socket, messages } = await open(h, `key=${KEYS.viewer}`);
    await waitFor(() => messages.length === 1);
    expect(messages[0]).to.include({ type: 'snapshot', seq: 1 });
    expect((messages[0]!.conferences as unknown[]).length).to.equal(1);
    const b = await h.join('100', 'b');
    const id = h.manager.get('100').participants[1]!.id;
    await h.manager.setMuted('100', id, true);
    b.leave();
    await settle();
    await waitFor(() => messages.some((m) => m.type === 'participant.left'));
    expect(messages.map((m) => m.type)).to.deep.equal(['snapshot', 'participant.joined', 'participant.muted', 'participant.left']);
    expect(messages.map((m) => m.seq)).to.deep.equal([1, 2, 3, 4]);
    socket.close();
  });

  it('filters by conference, and a subscribe message switches it with a new snapshot', async () => {
    await h.join('100', 'a');
    const { socket, messages } = await open(h, `key=${KEYS.admin}&conference=200`);
    await h.join('100', 'b');
    await h.join('200', 'c');
    await waitFor(() => messages.length === 3);
    expect(messages.map((m) => m.type)).to.deep.equal(['snapshot', 'conference.started', 'participant.joined']);
    socket.send(JSON.stringify({ type: 'subscribe', conference: '100' }));
    await waitFor(() => messages.length === 4);
    expect(messages[3]).to.include({ type: 'snapshot', conference: '100', seq: 4 });
    socket.send('{"type":"subscribe","conference":"x; drop"}');
    await waitFor(() => messages.length === 5);
    expect(messages[4]).to.include({ type: 'error' });
    socket.close();
  });

  it('refuses a missing or unknown key with 401 before the upgrade, as every route does', async () => {
    for (const query of ['', 'key=not-a-key-of-ours-0123456789']) {
      const refused = await open(h, query).then(
        () => 'opened',
        (error: Error) => error.message,
      );
      expect(refused, query).to.equal('Unexpected server response: 401');
    }
  });

  it('cuts off a client that stops reading instead of queueing without bound', async () => {
    await h.join('100', 'a');
    const { socket, closed } = await open(h, `key=${KEYS.admin}`);
    // Stop reading: the kernel buffers fill, then the server's queue grows.
    (socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const id = h.manager.get('100').participants[0]!.id;
    let code: number | undefined;
    void closed.then((c) => (code = c));
    // Until the server starts closing: a client that reads again within the grace gets the close code.
    const closing = () => [...h.api.websocketServer.clients].some((client) => client.readyState === client.CLOSING);
    for (let i = 0; i < 400000 && code === undefined && !closing(); i++) {
      h.app.last.events.safeEmit('talking', id, i % 2 === 0);
      if (i % 2000 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    expect(closing(), 'the server cut the stream off').to.equal(true);
    (socket as unknown as { _socket: { resume(): void } })._socket.resume();
    expect(await closed).to.equal(4008);
  });
});
