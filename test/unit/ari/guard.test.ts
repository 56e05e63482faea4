import { expect } from 'chai';
import { AriClient } from '../../../src/ari';
import { AppError } from '../../../src/lib/errors';
import { silentLogger } from '../../../src/lib/logger';
import { AsteriskDouble } from '../../double';

describe('AriClient guard (the lease fence): nothing reaches Asterisk while it refuses', function () {
  this.timeout(10000);
  let ast: AsteriskDouble;
  let client: AriClient | undefined;
  afterEach(async () => {
    await client?.close();
    await ast.stop();
  });

  it('refuses every REST request and the events socket until the guard allows them', async () => {
    ast = await AsteriskDouble.start();
    let allowed = false;
    client = new AriClient({
      url: ast.url,
      username: 'asterisk',
      password: 'asterisk',
      app: 'meetme',
      reconnect: { minMs: 50, maxMs: 50 },
      logger: silentLogger(),
      guard: () => {
        if (!allowed) throw new AppError('lease_not_held', 'no lease');
      },
    });
    const error = await client.rest.channels.list().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(AppError).with.property('code', 'lease_not_held');
    let connected = false;
    const connecting = client.connect().then(() => (connected = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ast.requests, 'requests Asterisk saw').to.deep.equal([]);
    expect(connected, 'events socket opened').to.equal(false);
    allowed = true;
    await connecting;
    expect(await client.rest.channels.list()).to.deep.equal([]);
    expect(ast.requests.map((r) => r.path)).to.deep.equal(['/channels']);
  });
});
