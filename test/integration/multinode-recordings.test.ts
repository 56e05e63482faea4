import { expect } from 'chai';
import { createApi } from '../../src/app/api';
import { silentLogger } from '../../src/lib/logger';
import { startCluster, waitFor, type RunningCluster } from '../support/clusterHarness';

const ADMIN = { name: 'ops', role: 'admin' as const, key: 'admin-key-0123456789abcdef' };
const headers = { 'x-api-key': ADMIN.key };

describe('Asterisk-mixer recordings on several nodes', function () {
  this.timeout(60000);
  let c: RunningCluster | undefined;
  afterEach(async () => c?.stop());

  it('a recording made on node-b is indexed with its node and fetched from it; node-b down answers 503, not 500', async () => {
    c = await startCluster(
      ['node-a', 'node-b'],
      { apiKeys: [ADMIN], mixer: { default: 'asterisk' }, conferences: [{ number: '701', name: 'On b', options: 'q' }] },
      { timing: true },
    );
    const api = await createApi(c.app, c.config, silentLogger());
    const caller = c.node('node-b').dial({ exten: '701', callerId: 'B <2>', toneHz: 700 });
    await waitFor(
      () =>
        c!
          .node('node-b')
          .bridges()
          .some((b) => b.name === 'meetme-conf:701' && b.channels.includes(caller.channelId)),
      8000,
      'in 701 on node-b',
    );
    const started = await api.inject({ method: 'POST', url: '/api/v1/conferences/701/recording/start', headers });
    expect(started.statusCode).to.equal(201);
    const name = started.json<{ name: string }>().name;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect((await api.inject({ method: 'POST', url: '/api/v1/conferences/701/recording/stop', headers })).statusCode).to.equal(204);
    expect(c.node('node-b').asterisk.stored.has(name), 'stored by node-b').to.equal(true);
    expect(c.node('node-a').asterisk.stored.has(name), 'not on node-a').to.equal(false);
    const entry = (await api.inject({ url: `/api/v1/recordings/${name}`, headers })).json<{ node: string; location: string }>();
    expect(entry).to.include({ node: 'node-b', location: 'asterisk' });
    const file = await api.inject({ url: `/api/v1/recordings/${name}/file`, headers });
    expect(file.statusCode).to.equal(200);
    expect(file.rawPayload.toString('ascii', 0, 4)).to.equal('RIFF');
    await c.kill('node-b');
    await waitFor(() => c!.app.cluster.get('node-b')?.ari.connected === false, 5000, 'node-b seen down');
    // A fresh API: nothing kept from the download above.
    const fresh = await createApi(c.app, c.config, silentLogger());
    const down = await fresh.inject({ url: `/api/v1/recordings/${name}/file`, headers });
    expect(down.statusCode).to.equal(503);
    expect(down.json<{ error: { code: string; message: string } }>().error).to.deep.include({ code: 'recording_node_unavailable' });
    expect(down.json<{ error: { message: string } }>().error.message).to.contain('node-b');
    await api.close();
    await fresh.close();
  });
});
