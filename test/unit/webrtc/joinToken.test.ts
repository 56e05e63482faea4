import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { isAppError } from '../../../src/lib/errors';
import { JoinLinks } from '../../../src/webrtc/JoinLinks';
import { signJoinToken, verifyJoinToken } from '../../../src/webrtc/joinToken';

const SECRET = 'a-secret-that-is-long-enough-0123456789';
const NOW = Date.parse('2026-11-23T10:00:00Z');

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return isAppError(error) ? error.code : 'not an AppError';
  }
  return undefined;
}

describe('join tokens', () => {
  const claims = { conference: '700', expiresAt: NOW + 60000, pin: 'included' as const, admin: false, name: 'Ana' };

  it('give back what was signed, until they expire', () => {
    const token = signJoinToken(SECRET, claims);
    expect(verifyJoinToken(SECRET, token, NOW)).to.deep.include(claims);
    expect(codeOf(() => verifyJoinToken(SECRET, token, NOW + 60000))).to.equal('join_token_expired');
  });

  it('are each distinct, and are refused when changed, cut or signed with another secret', () => {
    const token = signJoinToken(SECRET, claims);
    expect(signJoinToken(SECRET, claims)).not.to.equal(token);
    const [body, mac] = token.split('.') as [string, string];
    const other = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), c: '701' })).toString('base64url');
    expect(codeOf(() => verifyJoinToken(SECRET, `${other}.${mac}`, NOW))).to.equal('join_token_invalid');
    expect(codeOf(() => verifyJoinToken(SECRET, body, NOW))).to.equal('join_token_invalid');
    expect(codeOf(() => verifyJoinToken(SECRET, `${body}.${mac.slice(1)}`, NOW))).to.equal('join_token_invalid');
    expect(codeOf(() => verifyJoinToken('another-secret-that-is-long-enough-01', token, NOW))).to.equal('join_token_invalid');
    expect(codeOf(() => verifyJoinToken(SECRET, 'garbage', NOW))).to.equal('join_token_invalid');
  });

  it('a forged token that is well signed but malformed is still refused', () => {
    const body = Buffer.from(JSON.stringify({ v: 1, c: '../x', e: NOW + 1000, p: 'included', a: false, i: 'x' })).toString('base64url');
    const mac = createHmac('sha256', SECRET).update(body).digest('base64url');
    expect(codeOf(() => verifyJoinToken(SECRET, `${body}.${mac}`, NOW))).to.equal('join_token_invalid');
  });
});

describe('join links', () => {
  let now = NOW;
  const links = new JoinLinks(SECRET, 3600, () => now);

  it('last 15 minutes unless asked, never longer than the configured limit', () => {
    const link = links.issue({ conference: '700' });
    expect(link.path).to.equal(`/join/${link.token}`);
    expect(Date.parse(link.expiresAt) - NOW).to.equal(15 * 60000);
    expect(links.verify(link.token)).to.include({ conference: '700', pin: 'included', admin: false });
    now = NOW + 15 * 60000;
    expect(codeOf(() => links.verify(link.token))).to.equal('join_token_expired');
    now = NOW;
    expect(codeOf(() => links.issue({ conference: '700', expiresInSeconds: 3601 }))).to.equal('invalid_request');
  });

  it('an admin link must stand for the PIN', () => {
    expect(codeOf(() => links.issue({ conference: '700', admin: true, pin: 'ask' }))).to.equal('invalid_request');
    expect(links.verify(links.issue({ conference: '700', admin: true }).token).admin).to.equal(true);
  });

  it('without a configured secret, each process makes its own: links of another run do not work', () => {
    const a = new JoinLinks(undefined, 3600);
    const b = new JoinLinks(undefined, 3600);
    expect(codeOf(() => b.verify(a.issue({ conference: '700' }).token))).to.equal('join_token_invalid');
  });
});
