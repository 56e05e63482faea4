import { expect } from 'chai';
import { browserAgainstApp } from '../support/browserApp';
import { waitFor } from '../support/appHarness';

const KEY = 'console-admin-key-0123456789';

describe('web console in a real browser, against the app and the ARI double', function () {
  this.timeout(60000);
  const start = browserAgainstApp();

  it('signs in, shows callers and who is talking live, and mutes a caller in Asterisk with a click', async () => {
    const { r, browser, origin } = await start({ mixer: { default: 'asterisk' }, apiKeys: [{ name: 'ops', role: 'admin', key: KEY }] });
    const page = await browser.newPage();
    await page.goto(`${origin}/console`);

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
