import { expect } from 'chai';
import { createServer, Server as HttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { AriClient, AriError, ignoreGone, isNotFound, type AriClientOptions } from '../../../src/ari';
import { silentLogger } from '../../../src/lib/logger';

interface Seen {
  method: string;
  url: string;
  body: string;
  auth: string | undefined;
}

/** A client of `server`, listening for the call on a free port; both closed after `use`. */
async function clientOf(server: NetServer, options: Partial<AriClientOptions>, use: (ari: AriClient) => Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const ari = new AriClient({ url, username: 'a', password: 'b', app: 'x', logger: silentLogger(), ...options });
  try {
    await use(ari);
  } finally {
    await ari.close();
    if (server instanceof HttpServer) server.closeAllConnections();
    server.close();
  }
}

describe('ARI REST transport', () => {
  let server: Server;
  let url: string;
  const seen: Seen[] = [];
  let reply: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(204).end();

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', body, auth: req.headers.authorization });
        reply(req, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());
  beforeEach(() => (seen.length = 0));

  const client = (timeout = 2000): AriClient =>
    new AriClient({ url, username: 'asterisk', password: 'secret', app: 'meetme', requestTimeoutMs: timeout, logger: silentLogger() });

  function json(status: number, body: unknown) {
    return (_req: IncomingMessage, res: ServerResponse) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  it('puts path, query and comma-joined list parameters where ARI expects them, with basic auth', async () => {
    reply = json(201, { id: 'pb1', state: 'queued' });
    const playback = await client().rest.channels.play({ channelId: 'ch 1', media: ['sound:a', 'sound:b'], playbackId: 'pb1' });
    expect(playback.id).to.equal('pb1');
    expect(seen[0]!.method).to.equal('POST');
    expect(seen[0]!.url).to.equal('/ari/channels/ch%201/play?media=sound%3Aa%2Csound%3Ab&playbackId=pb1');
    expect(seen[0]!.auth).to.equal(`Basic ${Buffer.from('asterisk:secret').toString('base64')}`);
  });

  it('sends channel variables as a JSON body', async () => {
    reply = json(200, { id: 'x' });
    await client().rest.channels.originate({ endpoint: 'PJSIP/alice', app: 'meetme', variables: { A: '1' } });
    expect(seen[0]!.url).to.equal('/ari/channels?endpoint=PJSIP%2Falice&app=meetme');
    expect(JSON.parse(seen[0]!.body)).to.deep.equal({ variables: { A: '1' } });
  });

  it('keeps Asterisk status and message in AriError (errors.jsonl bodies)', async () => {
    reply = json(404, { message: 'Channel not found' });
    const notFound = await client()
      .rest.channels.answer({ channelId: 'gone' })
      .catch((e: unknown) => e);
    expect(notFound).to.be.instanceOf(AriError);
    expect(notFound).to.include({
      ariStatus: 404,
      code: 'ari_not_found',
      reason: 'Channel not found',
      method: 'POST',
      path: '/channels/gone/answer',
    });
    expect(isNotFound(notFound)).to.equal(true);

    reply = json(422, { message: 'Channel not in Stasis application' });
    expect(
      await client()
        .rest.bridges.addChannel({ bridgeId: 'b', channel: 'c' })
        .catch((e: unknown) => e),
    ).to.include({ code: 'ari_unprocessable' });

    reply = json(500, { error: 'Allocation failed' });
    expect(
      await client()
        .rest.channels.originate({ endpoint: 'PJSIP/nobody' })
        .catch((e: unknown) => e),
    ).to.include({ ariStatus: 500, reason: 'Allocation failed', code: 'ari_server_error' });
  });

  it('treats 404 and 422 "Channel not in this bridge" as done on teardown, and nothing else', async () => {
    reply = json(404, { message: 'Channel not found' });
    expect(await ignoreGone(client().rest.channels.hangup({ channelId: 'x' }))).to.equal(undefined);
    reply = json(422, { message: 'Channel not in this bridge' });
    expect(await ignoreGone(client().rest.bridges.removeChannel({ bridgeId: 'b', channel: 'c' }))).to.equal(undefined);
    reply = json(409, { message: 'Channel not in Stasis application' });
    const conflict = await ignoreGone(client().rest.channels.answer({ channelId: 'x' })).catch((e: unknown) => e);
    expect(conflict).to.include({ code: 'ari_conflict' });
  });

  it('times out a request Asterisk never answers', async () => {
    reply = () => undefined;
    const error = await client(150)
      .rest.asterisk.ping()
      .catch((e: unknown) => e);
    expect(error).to.include({ code: 'ari_timeout' });
  });

  it('reports an unreachable Asterisk', async () => {
    const dead = new AriClient({ url: 'http://127.0.0.1:1', username: 'a', password: 'b', app: 'x', logger: silentLogger() });
    expect(await dead.rest.asterisk.ping().catch((e: unknown) => e)).to.include({ code: 'ari_unreachable' });
  });

  it('queues requests past maxConnections on the pool instead of opening more connections', async () => {
    const open = new Set<Socket>();
    let peak = 0;
    const slow = createServer((_req, res) =>
      setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ping":"pong"}'), 30),
    );
    slow.on('connection', (socket) => {
      open.add(socket);
      peak = Math.max(peak, open.size);
      socket.on('close', () => open.delete(socket));
    });
    await clientOf(slow, { maxConnections: 3 }, async (ari) => {
      const answers = await Promise.all(Array.from({ length: 30 }, () => ari.rest.asterisk.ping()));
      expect(answers.every((a) => a.ping === 'pong')).to.equal(true);
      expect(peak).to.equal(3);
      expect(ari.stats().connections, 'kept alive for the next requests').to.equal(3);
    });
  });

  it('counts the request timeout from when a request has a connection, not while it waits for one', async () => {
    const slow = createServer((_req, res) => setTimeout(() => res.writeHead(204).end(), 120));
    await clientOf(slow, { maxConnections: 1, requestTimeoutMs: 300 }, async (ari) => {
      // Six in a row on one connection take 720 ms in all, each well within 300 ms once sent.
      const results = await Promise.allSettled(Array.from({ length: 6 }, () => ari.rest.asterisk.ping()));
      expect(results.map((r) => r.status)).to.deep.equal(Array<string>(6).fill('fulfilled'));
    });
  });

  it('sends again, once, a request whose kept-alive connection the server closed before answering', async () => {
    // As Asterisk does with an idle connection: the second request on a connection is met with a close.
    let connections = 0;
    const server = createTcpServer((socket) => {
      connections++;
      let requests = 0;
      socket.on('data', (chunk: Buffer) => {
        if (!chunk.toString().includes('\r\n\r\n')) return;
        requests++;
        if (requests > 1) return void socket.destroy();
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{"ping":"pong"}');
      });
    });
    await clientOf(server, { maxConnections: 1 }, async (ari) => {
      expect((await ari.rest.asterisk.ping()).ping).to.equal('pong');
      expect((await ari.rest.asterisk.ping()).ping, 'the second went out again on a new connection').to.equal('pong');
      expect(connections).to.equal(2);
    });
  });
});
