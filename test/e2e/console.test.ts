import { expect } from 'chai';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { createApi } from '../../src/app/api';
import { silentLogger } from '../../src/lib/logger';
import { browserAvailable, launchBrowser } from '../support/browser';
import { startApp, waitFor, type Running } from '../support/appHarness';

const KEY = 'console-admin-key-0123456789';

describe('web console in a real browser, against the app and the ARI double', function () {
  this.timeout(60000);
  let r: Running;
  let http: FastifyInstance;
  let browser: Browser;

  before(function () {
    if (!browserAvailable()) this.skip();
  });

  afterEach(async () => {
    await browser?.close();
    await http?.close();
    await r?.stop();
  });

  it('signs in, shows callers and who is talking live, and mutes a caller in Asterisk with a click', async () => {
    r = await startApp({ mixer: { default: 'asterisk' }, apiKeys: [{ name: 'ops', role: 'admin', key: KEY }] });
    http = await createApi(r.app, r.config, silentLogger());
    await http.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}/console`;
    browser = await launchBrowser();
    const page = await browser.newPage();
    await page.goto(url);

    await page.getByTestId('api-key').fill('not-the-key');
    await page.getByTestId('sign-in').click();
    await page
      .getByTestId('error')
      .getByText(/cannot sign in/)
      .waitFor();

    await page.getByTestId('api-key').fill(KEY);
    await page.getByTestId('sign-in').click();
    const alice = r.ast.dial({ exten: '700', callerId: 'Alice <1001>' });
    r.ast.dial({ exten: '700', callerId: 'Bob <1002>' });
    await page.getByTestId('participant-1001').waitFor();
    await page.getByTestId('participant-1002').waitFor();

    alice.setTone(440);
    await page.getByTestId('status-1001').getByText('talking').waitFor();

    await waitFor(() => r.ast.channel(alice.channelId)?.bridge !== undefined, 5000, 'alice bridged');
    await page.getByTestId('mute-1001').click();
    await waitFor(() => r.ast.channel(alice.channelId)?.mute.in === true, 5000, 'the double received the mute');
    await page.getByTestId('status-1001').getByText('muted').waitFor();
    expect(r.ast.requests.some((q) => q.method === 'POST' && q.path === `/channels/${alice.channelId}/mute`)).to.equal(true);

    await page.getByTestId('lock-700').click();
    await page.locator('.badge', { hasText: 'locked' }).waitFor();
    expect(r.app.manager.get('700').locked).to.equal(true);
  });
});
