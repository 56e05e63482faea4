import { expect } from 'chai';
import { callerFor, harness, settle, type Harness } from './fakes';

const inMix = (h: Harness, channel: string): boolean => {
  const p = h.manager.get('7').participants.find((q) => q.channelId === channel);
  return p !== undefined && h.app.last.members.has(p.id);
};

describe('joining: the count and the membership are decided at one moment', () => {
  it('a caller dialling 1 s after the first hears the count, not "only person", and nobody waits for a prompt to join', async () => {
    const h = harness({}, [{ number: '7', name: 'Count', options: 'c' }], { timedPrompts: true });
    const a = callerFor(h, 'a');
    void h.manager.handleCaller(a, ['7']);
    await settle();
    expect(inMix(h, 'a'), 'the first caller is in the mix while told they are alone').to.equal(true);
    await h.clock.advance(1000);
    const b = callerFor(h, 'b');
    void h.manager.handleCaller(b, ['7']);
    await settle();
    expect(inMix(h, 'b'), 'the second caller is in the mix at once').to.equal(true);
    await h.clock.advance(5000);
    expect(a.heard).to.deep.equal(['sound:conf-onlyperson']);
    expect(b.heard).to.deep.equal(['sound:conf-thereare', 'number:1', 'sound:conf-otherinparty']);
  });

  it('without c, the second caller within 3 s hears no "only person"; the others hear the join tone', async () => {
    const h = harness({}, [], { timedPrompts: true });
    const a = callerFor(h, 'a');
    void h.manager.handleCaller(a, ['7']);
    await settle();
    await h.clock.advance(2000);
    const b = callerFor(h, 'b');
    void h.manager.handleCaller(b, ['7']);
    await settle();
    expect(inMix(h, 'b')).to.equal(true);
    await h.clock.advance(5000);
    expect(b.heard).to.deep.equal([]);
    expect(h.app.last.toAll).to.deep.equal([['sound:beep']]);
  });

  it('two callers dialling together: one is told they are alone, the other is not', async () => {
    const h = harness({}, [], { timedPrompts: true });
    const a = callerFor(h, 'a');
    const b = callerFor(h, 'b');
    void h.manager.handleCaller(a, ['7']);
    void h.manager.handleCaller(b, ['7']);
    await settle();
    await h.clock.advance(5000);
    const told = [a, b].filter((c) => c.heard.includes('sound:conf-onlyperson'));
    expect(told).to.have.length(1);
    expect(h.manager.get('7').participants).to.have.length(2);
  });
});
