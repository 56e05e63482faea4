import { expect } from 'chai';
import { decodeState, encodeState } from '../../../src/app/participantState';

describe('participant state saved on the channel', () => {
  it('reads back what it wrote, for every role and flag', () => {
    for (const role of ['user', 'admin'] as const) {
      for (const marked of [false, true]) {
        for (const muted of [false, true]) expect(decodeState(encodeState({ role, marked, muted }))).to.deep.equal({ role, marked, muted });
      }
    }
  });

  it('ignores what it cannot read instead of guessing: the caller comes back as a plain user', () => {
    expect(decodeState('')).to.deep.equal({});
    expect(decodeState('role=owner;muted=yes')).to.deep.equal({ muted: false });
    expect(decodeState('garbage')).to.deep.equal({});
  });
});
