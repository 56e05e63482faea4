import { expect } from 'chai';
import { Children, type ClosingEvents } from '../../../src/lib/children';
import { TypedEmitter } from '../../../src/lib/TypedEmitter';

class Thing {
  readonly events = new TypedEmitter<ClosingEvents & { other: [] }>();
  close(): void {
    this.events.safeEmit('@close');
  }
}

describe('Children: an owner drops a child on its own @close', () => {
  it('forgets a child that closes, once, and tells the owner', () => {
    const children = new Children<string, Thing>();
    const closed: string[] = [];
    const a = children.add('a', new Thing(), () => closed.push('a'));
    children.add('b', new Thing(), () => closed.push('b'));
    a.close();
    a.close();
    expect(children.has('a')).to.equal(false);
    expect(children.values()).to.have.length(1);
    expect(closed).to.deep.equal(['a']);
    expect(a.events.listenerCount('@close'), 'the owner no longer listens').to.equal(0);
  });

  it('a replaced child closing later leaves its successor alone', () => {
    const children = new Children<string, Thing>();
    const closed: string[] = [];
    const old = children.add('1', new Thing(), () => closed.push('old'));
    const next = children.add('1', new Thing(), () => closed.push('next'));
    old.close();
    expect(children.get('1')).to.equal(next);
    expect(closed).to.deep.equal([]);
    next.close();
    expect(children.size).to.equal(0);
    expect(closed).to.deep.equal(['next']);
  });
});
