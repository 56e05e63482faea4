import { expect } from 'chai';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SimCaller } from '../double';
import { goertzelDb } from '../support/audio';
import { startApp, waitFor, type Running } from '../support/appHarness';

/** The loudest `hz` in any 200 ms window of what the caller heard. */
function peakDb(caller: SimCaller, hz: number): number {
  const heard = caller.heard();
  let best = -Infinity;
  for (let at = 0; at + 1600 <= heard.length; at += 800) best = Math.max(best, goertzelDb(heard.subarray(at, at + 1600), hz));
  return best;
}

const NAME_HZ = 700;
const HAS_JOINED_HZ = 1150;
const HAS_LEFT_HZ = 1250;
const YOU_HAVE_HZ = 1300;

describe('caller-flow features against the ARI double with no timing module', function () {
  this.timeout(30000);
  let r: Running;
  afterEach(async () => r?.stop());

  it('I: the name is recorded on the unbridged channel, said to the others on join and leave, then deleted', async () => {
    r = await startApp({ mixer: { default: 'app' }, conferences: [{ number: '810', name: 'Names', options: '' }] }, { timing: false });
    const listener = r.ast.dial({ exten: '810' });
    await waitFor(() => r.app.manager.list()[0]?.participants.length === 1, 5000, 'the listener in');
    const named = r.ast.dial({ exten: '810', args: ['810', 'I'], toneHz: NAME_HZ });
    await waitFor(() => [...r.ast.asterisk.live.values()].some((rec) => rec.target === `channel:${named.channelId}`), 5000, 'recording');
    expect(named.playbacks()).to.include('sound:vm-rec-name');
    const [name] = [...r.ast.asterisk.live.keys()];
    await named.sendDtmf('#');
    named.setTone(null);
    await waitFor(() => r.app.manager.get('810').participants.length === 2, 5000, 'the named caller in');
    const local = join(r.config.recordings.dir, 'names', `${name!}.wav`);
    expect(existsSync(local), 'the app keeps its own copy for the engine').to.equal(true);
    listener.clearHeard();
    await new Promise((resolve) => setTimeout(resolve, 1800));
    expect(peakDb(listener, NAME_HZ), 'the listener hears the name').to.be.greaterThan(-30);
    expect(peakDb(listener, HAS_JOINED_HZ), '...and conf-hasjoin').to.be.greaterThan(-30);
    expect(peakDb(named, NAME_HZ), 'the caller does not hear their own name').to.be.lessThan(-40);
    listener.clearHeard();
    await named.hangup();
    await waitFor(() => !r.ast.asterisk.stored.has(name!) && !existsSync(local), 5000, 'the name deleted after it was said');
    expect(peakDb(listener, NAME_HZ), 'the name again on leaving').to.be.greaterThan(-30);
    expect(peakDb(listener, HAS_LEFT_HZ), '...and conf-hasleft').to.be.greaterThan(-30);
  });

  it('I: a caller who hangs up while recording leaves no recording behind, in Asterisk or in the app', async () => {
    r = await startApp({ mixer: { default: 'app' } }, { timing: false });
    const caller = r.ast.dial({ exten: '811', args: ['811', 'I'], toneHz: NAME_HZ });
    await waitFor(() => r.ast.asterisk.live.size === 1, 5000, 'recording');
    await caller.hangup();
    await waitFor(() => r.ast.asterisk.stored.size === 0 && r.app.diagnostics().callers === 0, 6000, 'nothing kept');
    expect(r.app.manager.list()).to.deep.equal([]);
    const names = join(r.config.recordings.dir, 'names');
    expect(existsSync(names) ? readdirSync(names) : []).to.deep.equal([]);
  });

  it('p: # leaves the conference for the next priority of the dialplan with MEETME_EXIT_KEY, not hung up', async () => {
    r = await startApp({ mixer: { default: 'app' } }, { timing: false });
    const stayer = r.ast.dial({ exten: '840' });
    const caller = r.ast.dial({ exten: '840', args: ['840', 'p'] });
    // Its digits count once it is in the mix; the app has saved its state on the channel by then.
    await waitFor(() => r.ast.channel(caller.channelId)?.vars.has('MEETME_PARTICIPANT') === true, 5000, 'in the mix');
    await caller.sendDtmf('#');
    await waitFor(() => r.ast.channel(caller.channelId)?.app === undefined, 5000, 'out of Stasis');
    expect(r.ast.requests.filter((q) => q.path === `/channels/${caller.channelId}/continue`).map((q) => q.status)).to.deep.equal([204]);
    expect(r.ast.channel(caller.channelId)?.dialplan).to.include({ context: 'conferences', exten: '840', priority: 3 });
    expect(r.ast.channel(caller.channelId)?.vars.get('MEETME_EXIT_KEY')).to.equal('#');
    expect(r.ast.requests.some((q) => q.method === 'DELETE' && q.path === `/channels/${caller.channelId}`)).to.equal(false);
    await waitFor(() => r.app.manager.get('840').participants.length === 1, 5000, 'the other one stays');
    expect(r.ast.channel(stayer.channelId)?.app).to.equal('meetme');
  });

  it('a kicked caller leaves Stasis for the next priority of the dialplan without C, and is not hung up', async () => {
    r = await startApp({ mixer: { default: 'app' } }, { timing: false });
    const caller = r.ast.dial({ exten: '820', args: ['820'] });
    await waitFor(() => r.app.manager.list()[0]?.participants.length === 1, 5000, 'in');
    const [p] = r.app.manager.get('820').participants;
    await r.app.manager.kick('820', p!.id);
    await waitFor(() => r.ast.channel(caller.channelId)?.app === undefined, 5000, 'out of Stasis');
    expect(caller.playbacks()).to.include('sound:conf-kicked');
    expect(r.ast.channel(caller.channelId)?.dialplan).to.include({ context: 'conferences', exten: '820', priority: 3 });
    expect(r.ast.requests.some((q) => q.method === 'DELETE' && q.path === `/channels/${caller.channelId}`)).to.equal(false);
  });

  it('L(x:y) with C: the caller hears the warning from the mix, then goes on in the dialplan at the limit', async () => {
    r = await startApp({ mixer: { default: 'app' } }, { timing: false });
    const caller = r.ast.dial({ exten: '830', args: ['830', 'CL(6000:5500)'] });
    await waitFor(() => r.app.manager.list()[0]?.participants.length === 1, 5000, 'in');
    const joined = Date.now();
    // app_meetme says no warning with less than 5 s left: this one comes at 5.5 s left.
    await waitFor(() => r.ast.channel(caller.channelId)?.app === undefined, 9000, 'out of Stasis');
    expect(Date.now() - joined).to.be.within(5500, 7500);
    expect(peakDb(caller, YOU_HAVE_HZ), '"you have" before the end').to.be.greaterThan(-30);
    expect(r.ast.channel(caller.channelId)?.dialplan.priority).to.equal(3);
  });
});
