import { expect } from 'chai';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAY_MS, MINUTE_MS, SERVICE, type UsageMinute } from '../../../src/capacity/history';
import { Store } from '../../../src/store/Store';
import { UsageHistory } from '../../../src/store/UsageHistory';
import { MONTH, recordSyntheticYear, syntheticMinutes } from '../../support/syntheticUsage';

const node = { kind: 'node', node: 'asterisk-1' } as const;

describe('UsageHistory', () => {
  it('keeps every field of every minute across a reopen, the service and each node apart', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'usage-')), 'meetme.sqlite');
    const first = new Store(path);
    const history = new UsageHistory(first);
    const minutes = syntheticMinutes(MONTH, [], { from: MONTH.start, to: MONTH.start + 2 * DAY_MS });
    history.record(minutes.map((minute) => ({ scope: SERVICE, minute })));
    const one: UsageMinute = { ...minutes[600]!, participantsPeak: 3 };
    history.record([{ scope: node, minute: one }]);
    first.close();

    const second = new UsageHistory(new Store(path));
    expect(second.minutes(SERVICE, MONTH.start, MONTH.start + 2 * DAY_MS)).to.deep.equal(minutes);
    expect(second.minutes(node, MONTH.start, MONTH.start + 2 * DAY_MS)).to.deep.equal([one]);
    expect(second.minutes(SERVICE, minutes[10]!.at, minutes[13]!.at)).to.deep.equal(minutes.slice(10, 13));
    expect(second.nodes()).to.deep.equal(['asterisk-1']);
  });

  it('writes one minute at a time into the day already stored, as the sampler does', () => {
    const history = new UsageHistory(new Store(':memory:'));
    const minutes = syntheticMinutes(MONTH, [], { from: MONTH.start + DAY_MS - 3 * MINUTE_MS, to: MONTH.start + DAY_MS + 2 * MINUTE_MS });
    for (const minute of minutes) history.record([{ scope: SERVICE, minute }]);
    expect(history.minutes(SERVICE, 0, Infinity)).to.deep.equal(minutes);
  });

  it('drops days older than the retention, and a year of one scope stays under 2 MB', function () {
    this.timeout(60000);
    const path = join(mkdtempSync(join(tmpdir(), 'usage-')), 'meetme.sqlite');
    const store = new Store(path);
    const history = new UsageHistory(store);
    recordSyntheticYear(history);
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    store.db.exec('VACUUM');
    const bytes = statSync(path).size;
    console.log(`      a year of per-minute usage (one scope): ${(bytes / 1e6).toFixed(2)} MB, ${Math.round(bytes / 364)} bytes a day`);
    expect(bytes).to.be.below(2e6);

    const removed = history.prune(MONTH.start + 308 * DAY_MS);
    expect(removed).to.equal(308);
    expect(history.minutes(SERVICE, 0, Infinity)[0]?.at).to.equal(MONTH.start + 308 * DAY_MS);
    store.close();
  });
});
