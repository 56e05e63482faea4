import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { signJoinToken } from '../../src/webrtc/joinToken';
import type { SimCaller } from '../double';
import { goertzelDb, sine, wavBytes } from '../support/audio';
import { waitFor } from '../support/appHarness';
import { browserAgainstApp } from '../support/browserApp';

const KEY = 'browser-e2e-admin-key-0123456789';
const SECRET = 'an-e2e-join-link-secret-of-32-chars!!';
const BROWSER_HZ = 1200;
const CALLER_HZ = [440, 880] as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Starts recording what the page plays from the conference, through WebAudio (run in the page, so written as a string). */
async function recordRemote(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const context = new AudioContext();
    const source = context.createMediaStreamSource(document.getElementById('remote').srcObject);
    const processor = context.createScriptProcessor(4096, 1, 1);
    window.heard = [];
    window.heardRate = context.sampleRate;
    processor.onaudioprocess = (event) => {
      for (const s of event.inputBuffer.getChannelData(0)) window.heard.push(s);
    };
    source.connect(processor);
    processor.connect(context.destination);
  })()`);
}

/** The last `seconds` the page heard, as 16-bit samples, and their rate. */
async function heardByPage(page: Page, seconds: number): Promise<{ samples: Int16Array; rate: number }> {
  const { heard, rate } = await page.evaluate<{ heard: number[]; rate: number }>(`(() => {
    const heard = window.heard.slice(-Math.round(${seconds} * window.heardRate));
    window.heard = [];
    return { heard, rate: window.heardRate };
  })()`);
  return { samples: Int16Array.from(heard, (x) => Math.max(-32768, Math.min(32767, Math.round(x * 32767)))), rate };
}

describe('a browser joins from a link, in Chromium, with two callers', function () {
  this.timeout(90000);
  const start = browserAgainstApp();

  it('hears the callers and not itself, is heard, is muted from the console, and leaves when its tab closes', async () => {
    // The browser's microphone, looped by Chromium's fake capture device: a tone that rises and falls three
    // times a second, as speech does, so the page's noise suppression does not learn it away as a hum.
    const wav = join(mkdtempSync(join(tmpdir(), 'meetme-mic-')), 'tone.wav');
    const tone = sine(BROWSER_HZ, 48000 * 10, 8000, 48000).map((x, i) =>
      Math.round(x * (0.6 + 0.4 * Math.sin((2 * Math.PI * 3 * i) / 48000))),
    );
    writeFileSync(wav, wavBytes(tone, 48000));
    const { r, browser, origin } = await start(
      {
        mixer: { default: 'app' },
        conferences: [{ number: '900', name: 'Browser and phones', options: 'q' }],
        apiKeys: [{ name: 'ops', role: 'admin', key: KEY }],
        webrtc: { tokenSecret: SECRET, address: '127.0.0.1', bindAddress: '127.0.0.1' },
      },
      {
        double: { timing: false },
        browserArgs: [
          '--use-fake-device-for-media-stream',
          '--use-fake-ui-for-media-stream',
          `--use-file-for-fake-audio-capture=${wav}`,
          '--autoplay-policy=no-user-gesture-required',
        ],
      },
    );
    const context = await browser.newContext();

    const callers: SimCaller[] = CALLER_HZ.map((hz, i) => r.ast.dial({ exten: '900', callerId: `Phone${i} <20${i}>`, toneHz: hz }));
    await waitFor(() => r.app.manager.list()[0]?.participants.length === 2, 8000, 'two callers in');

    // The moderator's console makes the link and joins from this browser.
    const consolePage = await context.newPage();
    await consolePage.goto(`${origin}/console`);
    await consolePage.getByTestId('api-key').fill(KEY);
    await consolePage.getByTestId('sign-in').click();
    await consolePage.getByTestId('join-number').fill('900');
    await consolePage.getByTestId('join-link').click();
    expect(await consolePage.getByTestId('join-url').inputValue()).to.match(/^http:\/\/127\.0\.0\.1:\d+\/join\//);
    const started = Date.now();
    const [page] = await Promise.all([context.waitForEvent('page'), consolePage.getByTestId('join-here').click()]);
    await page.getByTestId('participant-self').waitFor({ timeout: 15000 });
    const joinMs = Date.now() - started;
    const snapshot = r.app.manager.get('900');
    expect(snapshot.participants).to.have.length(3);
    const me = snapshot.participants.find((p) => p.channelId.startsWith('browser-'))!;
    expect(me.callerIdName).to.equal('Console');
    expect(await page.getByTestId('participant').count()).to.equal(2);
    console.log(`      browser join (click to in the conference): ${joinMs} ms`);

    await consolePage.getByTestId(`status-${me.channelId}`).getByText('talking').waitFor();
    await recordRemote(page);
    await sleep(2000);
    for (const c of callers) c.clearHeard();
    await sleep(1500);
    const { samples, rate } = await heardByPage(page, 1.5);
    expect(samples.length).to.be.greaterThan(rate);
    const own = goertzelDb(samples, BROWSER_HZ, rate);
    for (const hz of CALLER_HZ)
      expect(goertzelDb(samples, hz, rate) - own, `the browser hears ${hz} Hz over its own tone`).to.be.greaterThan(20);
    for (const [i, c] of callers.entries()) {
      const heard = c.heard();
      expect(goertzelDb(heard, BROWSER_HZ), `caller ${i} hears the browser loud enough`).to.be.greaterThan(-40);
      expect(
        goertzelDb(heard, BROWSER_HZ) - goertzelDb(heard, CALLER_HZ[i]!),
        `caller ${i} hears the browser over itself`,
      ).to.be.greaterThan(20);
    }

    await consolePage.getByTestId(`mute-${me.channelId}`).click();
    await page.getByTestId('mute').getByText('Unmute').waitFor();
    await sleep(300);
    callers[0]!.clearHeard();
    await sleep(1000);
    const muted = callers[0]!.heard();
    expect(goertzelDb(muted, BROWSER_HZ) - goertzelDb(muted, CALLER_HZ[1]), 'the muted browser is out of the mix').to.be.lessThan(-20);

    const closedAt = Date.now();
    await page.close();
    await waitFor(() => r.app.manager.get('900').participants.length === 2, 10000, 'the closed tab left');
    console.log(`      closed tab removed after ${Date.now() - closedAt} ms`);
    await consolePage.getByTestId(`participant-${me.channelId}`).waitFor({ state: 'detached' });
  });

  it('an expired link shows a clear page and joins nothing', async () => {
    const { r, browser, origin } = await start(
      { mixer: { default: 'app' }, webrtc: { tokenSecret: SECRET, address: '127.0.0.1', bindAddress: '127.0.0.1' } },
      { double: { timing: false }, browserArgs: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] },
    );
    const page = await browser.newPage();
    const expired = signJoinToken(SECRET, { conference: '901', expiresAt: Date.now() - 60000, pin: 'included', admin: false });
    const response = await page.goto(`${origin}/join/${expired}`);
    expect(response?.status()).to.equal(410);
    await page.getByTestId('refused').getByText('This link has expired').waitFor();
    await sleep(1000);
    expect(r.app.manager.list()).to.have.length(0);
    expect(r.app.browsers!.gateway.size).to.equal(0);
  });
});
