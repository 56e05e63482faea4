import { expect } from 'chai';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandHook, WebhookHook } from '../../../src/app/capacity/scaleHooks';
import type { ScaleRequest } from '../../../src/capacity/ports';

const request: ScaleRequest = {
  at: Date.parse('2026-02-09T07:45:00Z'),
  direction: 'down',
  previousNodes: 3,
  desiredNodes: 2,
  drainedNodes: ['asterisk-3'],
  reason: 'the forecast falls to 640 participants (upper band)',
};

describe('capacity hooks', () => {
  it('runs a shell command with the desired count in MEETME_* variables; exit 0 is success', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'hook-')), 'out');
    const hook = new CommandHook(
      `echo "$MEETME_DESIRED_NODES $MEETME_PREVIOUS_NODES $MEETME_DIRECTION $MEETME_DRAINED_NODES $MEETME_AT" > ${out}; echo scaled`,
      5000,
    );
    expect(await hook.run(request)).to.deep.equal({ ok: true, detail: 'exit 0: scaled' });
    expect(readFileSync(out, 'utf8')).to.equal('2 3 down asterisk-3 2026-02-09T07:45:00.000Z\n');
  });

  it('reports a failing command with its status and the end of what it printed, and kills one that hangs', async () => {
    expect(await new CommandHook('echo "quota exceeded" >&2; exit 3', 5000).run(request)).to.deep.equal({
      ok: false,
      detail: 'exit 3: quota exceeded',
    });
    const started = Date.now();
    const hung = await new CommandHook('sleep 30', 300).run(request);
    expect(hung.ok).to.equal(false);
    expect(hung.detail).to.match(/^killed after 300 ms/);
    expect(Date.now() - started).to.be.below(5000);
  });

  describe('webhook', () => {
    let server: Server;
    const received: { body: unknown; type: string | undefined }[] = [];
    let status = 200;
    before(async () => {
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          received.push({ body: JSON.parse(body), type: req.headers['content-type'] });
          res.writeHead(status).end(status === 200 ? 'ok' : 'scaling is paused');
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    after(() => server.close());

    it('POSTs the request as JSON and takes a 2xx for success, anything else for failure', async () => {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scale`;
      expect(await new WebhookHook(url, 5000).run(request)).to.deep.equal({ ok: true, detail: 'HTTP 200: ok' });
      expect(received[0]).to.deep.equal({
        type: 'application/json',
        body: { ...request, at: '2026-02-09T07:45:00.000Z' },
      });
      status = 503;
      expect(await new WebhookHook(url, 5000).run(request)).to.deep.equal({ ok: false, detail: 'HTTP 503: scaling is paused' });
      const refused = await new WebhookHook('http://127.0.0.1:1/scale', 2000).run(request);
      expect(refused.ok).to.equal(false);
      expect(refused.detail).to.match(/^request failed/);
    });
  });
});
