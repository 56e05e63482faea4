import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../lib/errors';

/** What a join link stands for: one conference, until `expiresAt`. */
export interface JoinClaims {
  conference: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** `included`: the link stands for the PIN; `ask`: the browser is asked for it, as a caller would be. */
  pin: 'included' | 'ask';
  /** Joins as an admin (only with `pin: included`; an `ask` link becomes admin by the admin PIN). */
  admin: boolean;
  /** Shown to the others as the participant's name. */
  name?: string;
  /** Makes every link distinct, so one can be told from another in logs. */
  id: string;
}

const VERSION = 1;

const mac = (secret: string, body: string): Buffer => createHmac('sha256', secret).update(body).digest();

/** `<base64url JSON>.<base64url HMAC-SHA256>`: readable, but only the app can make or change one. */
export function signJoinToken(secret: string, claims: Omit<JoinClaims, 'id'> & { id?: string }): string {
  const full: JoinClaims = { ...claims, id: claims.id ?? randomBytes(8).toString('hex') };
  const body = Buffer.from(
    JSON.stringify({
      v: VERSION,
      c: full.conference,
      e: full.expiresAt,
      p: full.pin,
      a: full.admin,
      i: full.id,
      ...(full.name !== undefined ? { n: full.name } : {}),
    }),
  ).toString('base64url');
  return `${body}.${mac(secret, body).toString('base64url')}`;
}

function invalid(message: string): AppError {
  return new AppError('join_token_invalid', message);
}

/** The claims of a genuine, unexpired token; `join_token_invalid` or `join_token_expired` otherwise. */
export function verifyJoinToken(secret: string, token: string, now: number): JoinClaims {
  const parts = token.split('.');
  const [body, signature] = parts;
  if (parts.length !== 2 || !body || !signature || !/^[A-Za-z0-9_-]+$/.test(body) || !/^[A-Za-z0-9_-]+$/.test(signature))
    throw invalid('this is not a join link');
  const expected = mac(secret, body);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid('this join link is not genuine');
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw invalid('this join link is damaged');
  }
  const { v, c, e, p, a, i, n } = raw;
  if (
    v !== VERSION ||
    typeof c !== 'string' ||
    !/^[0-9]{1,20}$/.test(c) ||
    typeof e !== 'number' ||
    (p !== 'included' && p !== 'ask') ||
    typeof a !== 'boolean' ||
    typeof i !== 'string' ||
    (n !== undefined && typeof n !== 'string')
  )
    throw invalid('this join link is damaged');
  if (now >= e) throw new AppError('join_token_expired', `this join link expired at ${new Date(e).toISOString()}`, { expiresAt: e });
  return { conference: c, expiresAt: e, pin: p, admin: a, id: i, ...(n !== undefined ? { name: n } : {}) };
}
