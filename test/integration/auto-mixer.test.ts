import { expect } from 'chai';
import { startApp, waitFor, type Running } from '../support/appHarness';

/** `mixer.default: auto` against the ARI double: which mixer a new conference gets from what Asterisk has. */
describe('mixer auto: the cheapest correct mixer without the admin choosing', function () {
  this.timeout(30000);
  let r: Running;
  afterEach(async () => r?.stop());

  async function mixerOfNewConference(options: { timing: boolean; directMedia?: boolean }): Promise<string> {
    r = await startApp(
      { mixer: { default: 'auto' }, conferences: [{ number: '800', name: 'Auto', options: 'q' }] },
      { timing: options.timing, speed: 20 },
    );
    if (options.directMedia) {
      r.ast.asterisk.directMedia.add('meetme-media');
      // The app reads the endpoint at connect: a reconnect makes it look again.
      const reconnected = new Promise<void>((resolve) => r.app.ari.events.once('connected', () => resolve()));
      r.ast.dropEventSockets();
      await reconnected;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    r.ast.dial({ exten: '800', callerId: 'C0 <100>', toneHz: 440 });
    await waitFor(() => r.app.manager.list().some((c) => c.number === '800' && c.participants.length === 1), 8000, 'in conference 800');
    return r.app.manager.get('800').mixer;
  }

  it('mixes in the app without a timing module (an Asterisk mixing bridge would be silent)', async () => {
    expect(await mixerOfNewConference({ timing: false })).to.equal('app');
  });

  it('mixes in Asterisk (softmix) with a timer when Asterisk would relay every packet of the app mixer', async () => {
    expect(await mixerOfNewConference({ timing: true })).to.equal('asterisk');
  });

  it('mixes in the app with a timer when the SIP media endpoint has direct media (Asterisk only signals)', async () => {
    expect(await mixerOfNewConference({ timing: true, directMedia: true })).to.equal('app');
  });
});
