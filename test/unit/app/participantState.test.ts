import { expect } from 'chai';
import { decodeState, encodeState } from '../../../src/app/participantState';

describe('participant state saved on the channel', () => {
  it('reads back what it wrote, for every role and flag', () => {
    for (const role of ['user', 'admin'] as const) {
      for (const marked of [false, true]) {
        for (const muted of [false, true]) {
          const state = { role, marked, muted, talkGain: 0, listenGain: 0 } as const;
          expect(decodeState(encodeState(state))).to.deep.include({ role, marked, muted });
        }
      }
    }
  });

  it('keeps the talk and listen gains', () => {
    const state = { role: 'user', marked: false, muted: false, talkGain: -2, listenGain: 4 } as const;
    expect(decodeState(encodeState(state))).to.deep.equal(state);
    expect(decodeState('role=user;talk=9;listen=x')).to.deep.equal({ role: 'user' });
  });

  it('ignores what it cannot read instead of guessing: the caller comes back as a plain user', () => {
    expect(decodeState('')).to.deep.equal({});
    expect(decodeState('role=owner;muted=yes')).to.deep.equal({ muted: false });
    expect(decodeState('garbage')).to.deep.equal({});
  });
});
