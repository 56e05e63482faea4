import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { createApi } from '../../src/app/api';
import type { ConfigInput } from '../../src/config/schema';
import { silentLogger } from '../../src/lib/logger';
import type { DoubleOptions } from '../double';
import { startApp, type Running } from './appHarness';
import { browserAvailable, launchBrowser } from './browser';

export interface BrowserRun {
  r: Running;
  browser: Browser;
  /** The app's HTTP origin, e.g. http://127.0.0.1:41234. */
  origin: string;
}

export interface BrowserRunOptions {
  double?: DoubleOptions;
  /** Extra Chromium flags (fake media devices, autoplay). */
  browserArgs?: string[];
}

/**
 * The set-up every browser test shares, registered in the calling `describe`: skip without Chromium (fail in CI),
 * and after each test close the browser, the HTTP API and the app. Returns the function that starts all three.
 */
export function browserAgainstApp(): (config: ConfigInput, options?: BrowserRunOptions) => Promise<BrowserRun> {
  let running: { r?: Running; http?: FastifyInstance; browser?: Browser } = {};
  before(function () {
    if (!browserAvailable()) this.skip();
  });
  afterEach(async () => {
    const { r, http, browser } = running;
    running = {};
    await browser?.close();
    await http?.close();
    await r?.stop();
  });
  return async (config, options = {}) => {
    const r = await startApp(config, options.double);
    running.r = r;
    const http = await createApi(r.app, r.config, silentLogger());
    running.http = http;
    await http.listen({ port: 0, host: '127.0.0.1' });
    const browser = await launchBrowser(options.browserArgs);
    running.browser = browser;
    return { r, browser, origin: `http://127.0.0.1:${(http.server.address() as AddressInfo).port}` };
  };
}
