import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AsteriskDouble } from '../double';
import { runCli } from '../support/cli';
import { freePort } from '../support/freePort';
import { waitFor } from '../support/logger';

/** One masked WebSocket text frame, as a client sends it. */
function clientFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  const mask = randomBytes(4);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]);
}

/**
 * An event-stream client that stops reading: a raw socket that upgrades, then asks for snapshot after
 * snapshot and never reads one, so the server's send buffer fills and no close frame ever gets through.
 */
function stalledEventClient(port: number, key: string): Socket {
  const socket = connect(port, '127.0.0.1');
  socket.pause();
  socket.write(
    `GET /api/v1/events?key=${key} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const subscribe = clientFrame('{"type":"subscribe","conference":null}');
  socket.write(Buffer.concat(Array.from({ length: 20000 }, () => subscribe)));
  socket.on('error', () => undefined);
  return socket;
}

describe('ari-meetme command line', function () {
  this.timeout(30000);

  it('refuses a bad configuration, listing every problem, with a non-zero exit', async () => {
    const { exited, output } = runCli(['serve'], { MIXER: 'dahdi', MEDIA_PORT: 'x' });
    expect(await exited).to.equal(1);
    expect(output()).to.contain('MEDIA_PORT').and.to.contain('mixer.default');
  });

  it('exits 1 with the cause when the RTP port is taken, instead of crashing', async () => {
    const { createSocket } = await import('node:dgram');
    const taken = createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(0, '127.0.0.1', () => resolve()));
    try {
      const port = String(taken.address().port);
      const { exited, output } = runCli(['serve'], {
        MEDIA_PORT: port,
        MEDIA_THREADS: '1',
        HTTP_PORT: '0',
        ARI_URL: 'http://127.0.0.1:9',
        STORE_PATH: ':memory:',
        RECORDINGS_DIR: mkdtempSync(join(tmpdir(), 'rec-')),
      });
      expect(await exited).to.equal(1);
      expect(output()).to.contain(`cannot start: bind EADDRINUSE 127.0.0.1:${port}`).and.not.contain('triggerUncaughtException');
    } finally {
      taken.close();
    }
  });

  it('exits 1 with one clear line when the shared PostgreSQL store cannot be reached at start', async () => {
    const { exited, output } = runCli(['serve'], {
      MEDIA_PORT: '0',
      MEDIA_THREADS: '1',
      HTTP_PORT: '0',
      ARI_URL: 'http://127.0.0.1:9',
      STORE_URL: 'postgres://meetme@127.0.0.1:9/meetme',
      RECORDINGS_DIR: mkdtempSync(join(tmpdir(), 'rec-')),
    });
    expect(await exited).to.equal(1);
    expect(output()).to.contain('cannot start: the shared store cannot be reached').and.contain('store_unavailable');
  });

  it('check-config shows the configuration with every secret hidden', async () => {
    const { exited, output } = runCli(['check-config'], {
      ARI_PASSWORD: 'hunter2-secret',
      API_KEYS: 'ops:admin:a-very-long-secret-api-key',
    });
    expect(await exited).to.equal(0);
    expect(output()).to.contain('"name": "ops"').and.not.contain('hunter2-secret').and.not.contain('a-very-long-secret-api-key');
  });

  it('serves callers from ARI_* settings; on SIGTERM refuses new callers, drains, and exits cleanly', async () => {
    const ast = await AsteriskDouble.start({ speed: 20 });
    let serving: ReturnType<typeof runCli> | undefined;
    try {
      serving = runCli(['serve'], {
        ARI_URL: ast.url,
        ARI_USERNAME: 'asterisk',
        ARI_PASSWORD: 'asterisk',
        ARI_APP: 'meetme',
        MIXER: 'asterisk',
        LOG_LEVEL: 'info',
        DRAIN_TIMEOUT_MS: '1500',
        HTTP_PORT: '0',
        MEDIA_PORT: '0',
        MEDIA_SIP_PORT: '0',
        RECORDINGS_DIR: mkdtempSync(join(tmpdir(), 'rec-')),
        STORE_PATH: join(mkdtempSync(join(tmpdir(), 'store-')), 'm.sqlite'),
      });
      const { child, exited, output } = serving;
      await waitFor(() => output().includes('Asterisk timing source found'), 15000, 'app connected');
      const caller = ast.dial({ exten: '4242' });
      await waitFor(
        () => ast.bridges().some((b) => b.name === 'meetme-conf:4242' && b.channels.includes(caller.channelId)),
        10000,
        'caller joined',
      );
      child.kill('SIGTERM');
      await waitFor(() => output().includes('stopping: no new callers'), 5000, 'draining');
      const late = ast.dial({ exten: '4242' });
      await waitFor(() => late.state === 'gone', 5000, 'late caller refused');
      expect(late.playbacks()).to.deep.equal(['sound:conf-locked']);
      expect(caller.state).to.equal('up');
      expect(await exited).to.equal(0);
      expect(caller.state).to.equal('gone');
      expect(ast.bridges()).to.have.length(0);
    } finally {
      serving?.child.kill('SIGKILL'); // a failed wait must not leave the app running
      await ast.stop();
    }
  });

  it('exits within the drain timeout plus 2 s although an event-stream client stopped reading', async function () {
    this.timeout(60000);
    const port = await freePort();
    const key = 'stalled-client-key-0123456789';
    const { child, exited, output } = runCli(['serve'], {
      ARI_URL: 'http://127.0.0.1:9',
      HTTP_PORT: String(port),
      MEDIA_PORT: '0',
      MEDIA_SIP_PORT: '0',
      MEDIA_THREADS: '1',
      API_KEYS: `ops:viewer:${key}`,
      DRAIN_TIMEOUT_MS: '1000',
      STORE_PATH: ':memory:',
      RECORDINGS_DIR: mkdtempSync(join(tmpdir(), 'rec-')),
    });
    let client: Socket | undefined;
    try {
      await waitFor(() => output().includes('API, console and probes listening'), 15000, 'listening');
      client = stalledEventClient(port, key);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const start = Date.now();
      child.kill('SIGTERM');
      const code = await exited;
      const seconds = (Date.now() - start) / 1000;
      expect(code).to.equal(0);
      expect(seconds, `stopped ${seconds} s after SIGTERM`).to.be.below(1 + 2);
    } finally {
      client?.destroy();
      child.kill('SIGKILL');
    }
  });
});
