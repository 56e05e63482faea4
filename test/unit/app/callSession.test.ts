import { expect } from 'chai';
import { AriClient } from '../../../src/ari';
import { CallSession } from '../../../src/app/CallSession';
import { systemClock } from '../../../src/lib/clock';
import { silentLogger } from '../../../src/lib/logger';
import { AsteriskDouble } from '../../double';

describe('CallSession back to the dialplan (ARI continue)', function () {
  this.timeout(10000);
  let ast: AsteriskDouble;
  let ari: AriClient;
  afterEach(async () => {
    await ari.close();
    await ast.stop();
  });

  async function session(): Promise<{ session: CallSession; channelId: string; hangup: () => Promise<void> }> {
    ast = await AsteriskDouble.start();
    ari = new AriClient({ url: ast.url, username: 'asterisk', password: 'asterisk', app: 'meetme', logger: silentLogger() });
    const caller = ast.dial({ exten: '700' });
    const channelId = caller.channelId;
    const s = new CallSession(ari, channelId, 'Caller', '100', systemClock, silentLogger(), 'asterisk-1', 'PJSIP/alice-1');
    return { session: s, channelId, hangup: () => caller.hangup() };
  }

  it('a channel that hung up before its continue (its events lost) answers 404: the session ends cleanly', async () => {
    const { session: s, channelId, hangup } = await session();
    let gone = 0;
    s.events.subscribe('gone', () => gone++);
    await hangup();
    await s.continueInDialplan({ context: 'after-conf', extension: '5', priority: 1 });
    expect(s.gone).to.equal(true);
    expect(gone).to.equal(1);
    expect(ast.requests.map((q) => `${q.method} ${q.path} ${q.status}`)).to.deep.equal([`POST /channels/${channelId}/continue 404`]);
    await s.continueInDialplan();
    expect(ast.requests, 'nothing more is asked of a channel known gone').to.have.length(1);
  });

  it('sets the variables, then the channel leaves Stasis for the next priority and lives on', async () => {
    const { session: s, channelId } = await session();
    const before = ast.channel(channelId)!.dialplan.priority;
    await s.continueInDialplan({}, { MEETME_EXIT_KEY: '#' });
    const channel = ast.channel(channelId)!;
    expect(channel.app).to.equal(undefined);
    expect(channel.dialplan.priority).to.equal(before + 1);
    expect(channel.vars.get('MEETME_EXIT_KEY')).to.equal('#');
  });

  it('a context without an extension goes to its s extension, priority 1, as Asterisk does', async () => {
    const { session: s, channelId } = await session();
    await s.continueInDialplan({ context: 'after-conf' });
    expect(ast.channel(channelId)!.dialplan).to.include({ context: 'after-conf', exten: 's', priority: 1 });
  });
});
