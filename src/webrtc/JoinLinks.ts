import { randomBytes } from 'node:crypto';
import { AppError } from '../lib/errors';
import { signJoinToken, verifyJoinToken, type JoinClaims } from './joinToken';

export interface JoinLinkRequest {
  conference: string;
  pin?: 'included' | 'ask';
  admin?: boolean;
  name?: string;
  /** Default 15 minutes; at most `maxSeconds`. */
  expiresInSeconds?: number;
}

export interface JoinLink {
  token: string;
  /** Path on the app's HTTP port: `/join/<token>`. */
  path: string;
  expiresAt: string;
}

const DEFAULT_SECONDS = 15 * 60;

/** Issues and checks join links with one secret (from the config, or random for this process). */
export class JoinLinks {
  private readonly secret: string;

  constructor(
    secret: string | undefined,
    private readonly maxSeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    this.secret = secret ?? randomBytes(32).toString('hex');
  }

  issue(request: JoinLinkRequest): JoinLink {
    const seconds = request.expiresInSeconds ?? Math.min(DEFAULT_SECONDS, this.maxSeconds);
    if (seconds > this.maxSeconds)
      throw new AppError('invalid_request', `a join link may be valid for at most ${this.maxSeconds} s`, { field: 'expiresInSeconds' });
    const pin = request.pin ?? 'included';
    if (request.admin && pin === 'ask')
      throw new AppError('invalid_request', 'an admin link stands for the PIN (pin: included)', { field: 'admin' });
    const expiresAt = this.now() + seconds * 1000;
    const token = signJoinToken(this.secret, {
      conference: request.conference,
      expiresAt,
      pin,
      admin: request.admin ?? false,
      ...(request.name !== undefined ? { name: request.name } : {}),
    });
    return { token, path: `/join/${token}`, expiresAt: new Date(expiresAt).toISOString() };
  }

  verify(token: string): JoinClaims {
    return verifyJoinToken(this.secret, token, this.now());
  }
}
