import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { weekStart } from '../../src/capacity/accuracy';
import { DAY_MS, floorTo, MINUTE_MS, SERVICE } from '../../src/capacity/history';
import { browserAgainstApp } from '../support/browserApp';
import { decodePng, pixelsOf } from '../support/png';
import { MONTH, syntheticMinutes } from '../support/syntheticUsage';

const KEY = 'capacity-viewer-key-0123456789';
// The page's colours (capacity.js): the history line, the forecast band, the planned nodes.
const HISTORY = '#1f6feb';
const BAND = '#f9d49b';
const NODES = '#2da44e';

describe('capacity page in a real browser, against the app', function () {
  this.timeout(60000);
  const start = browserAgainstApp();

  it('draws the usage history, the forecast band and the planned nodes, with a marker per planned action', async () => {
    const { r, browser, origin: base } = await start({ apiKeys: [{ name: 'wall', role: 'viewer', key: KEY }] });
    // Five weeks of the synthetic daily shape up to now, in the app's own store.
    const now = Date.now();
    const usage = { ...MONTH, start: weekStart(now) - 35 * DAY_MS };
    const minutes = syntheticMinutes(usage, [], { from: usage.start, to: floorTo(now, MINUTE_MS) - MINUTE_MS });
    r.app.capacity.history.record(minutes.map((minute) => ({ scope: SERVICE, minute })));

    const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    await page.goto(`${base}/console/capacity`);
    await page.getByTestId('api-key').fill(KEY);
    await page.getByTestId('sign-in').click();
    await page.locator('[data-testid="capacity-plot"][data-drawn]').waitFor();

    const plan = (await (await fetch(`${base}/api/v1/capacity/plan`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as {
      actions: unknown[];
      forecastError: { weeks: unknown[] };
    };
    expect(await page.getByTestId('actions').locator('tbody tr').count()).to.equal(plan.actions.length);
    expect(await page.locator('[data-testid^="action-"]').count()).to.equal(plan.actions.length);
    expect(await page.getByTestId('forecast-error').locator('tbody tr').count()).to.equal(plan.forecastError.weeks.length);
    expect(plan.forecastError.weeks.length).to.be.at.least(4);
    await page
      .getByTestId('summary')
      .getByText(/Desired now: \d+ node/)
      .waitFor();

    const png = await page.getByTestId('capacity-plot').screenshot();
    if (process.env.CAPACITY_SHOT) writeFileSync(process.env.CAPACITY_SHOT, png);
    const shot = decodePng(png);
    const history = pixelsOf(shot, HISTORY);
    const band = pixelsOf(shot, BAND, 12);
    const nodes = pixelsOf(shot, NODES);
    // The history curve runs over the past half of the plot, the band over the future half (thin at night, so
    // counted in the columns where it is seen at all: a weekend ahead still shows it for some hours a day).
    const w = shot.width;
    expect(history.count, 'history pixels').to.be.greaterThan(500);
    expect(Math.min(...history.columns), 'history starts on the left').to.be.below(0.12 * w);
    expect(Math.max(...history.columns), 'history reaches now').to.be.within(0.4 * w, 0.56 * w);
    expect([...band.columns].filter((x) => x > 0.5 * w).length, 'band columns ahead').to.be.greaterThan(0.04 * w);
    expect([...band.columns].filter((x) => x < 0.45 * w).length, 'no band in the past').to.equal(0);
    expect(band.count, 'band pixels').to.be.greaterThan(100);
    expect(nodes.columns.size, 'planned nodes line').to.be.greaterThan(0.3 * w);
  });
});
