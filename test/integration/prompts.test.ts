import { expect } from 'chai';
import { startApp, waitFor, type Running } from '../support/appHarness';

describe('prompts from the config file, against the ARI double', function () {
  this.timeout(20000);
  let r: Running;
  afterEach(async () => r?.stop());

  it('callers hear the sounds `prompts:` names instead of the defaults', async () => {
    r = await startApp({
      mixer: { default: 'asterisk' },
      conferences: [{ number: '1234', pin: '42' }],
      prompts: { getPin: 'conf-getconfno', onlyPerson: 'beep' },
    });
    const alice = r.ast.dial({ exten: '1234' });
    await waitFor(() => alice.playbacks().includes('sound:conf-getconfno'), 5000, 'the PIN prompt');
    await alice.sendDtmf('42#');
    await waitFor(() => r.app.manager.list()[0]?.participants.length === 1, 5000, 'alice joined');
    await waitFor(() => alice.playbacks().includes('sound:beep'), 5000, 'the only-person prompt');
    expect(alice.playbacks()).to.not.include('sound:conf-getpin');
    expect(alice.playbacks()).to.not.include('sound:conf-onlyperson');
  });
});
