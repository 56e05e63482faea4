import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { ApiKeyConfig } from '../config/schema';

/** What a route lets through: `public` needs no key (probes, docs, console); the others a key whose role allows it. */
export type AccessLevel = 'public' | 'read' | 'control' | 'admin';

export interface Principal {
  name: string;
  role: ApiKeyConfig['role'];
  /** Moderators: the conferences they may see and control. Undefined: all. */
  conferences: ReadonlySet<string> | undefined;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** API keys compared in constant time: both sides hashed to the same length first. */
export class KeyRing {
  private readonly keys: { hash: Buffer; principal: Principal }[];

  constructor(keys: readonly ApiKeyConfig[]) {
    this.keys = keys.map((k) => ({
      hash: digest(k.key),
      principal: { name: k.name, role: k.role, conferences: k.role === 'moderator' ? new Set(k.conferences ?? []) : undefined },
    }));
  }

  find(secret: string): Principal | undefined {
    const hash = digest(secret);
    let found: Principal | undefined;
    // Every key is compared, so the time taken says nothing about which one matched.
    for (const key of this.keys) if (timingSafeEqual(hash, key.hash)) found = key.principal;
    return found;
  }
}

/** The key from `Authorization: Bearer`, `X-API-Key`, or `?key=` (browsers cannot set headers on a WebSocket). */
export function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const apiKey = request.headers['x-api-key'];
  if (typeof apiKey === 'string') return apiKey;
  const query = request.query as Record<string, unknown> | undefined;
  return typeof query?.key === 'string' ? query.key : undefined;
}

/** Whether the role allows `level` at all, before any conference is considered. */
export function roleAllows(principal: Principal, level: Exclude<AccessLevel, 'public'>): boolean {
  if (principal.role === 'admin') return true;
  if (principal.role === 'viewer') return level === 'read';
  return level !== 'admin';
}

/** Narrows a list to what the principal may see; also whether a moderator may act on one conference. */
export function visible(principal: Principal, number: string): boolean {
  return principal.conferences === undefined || principal.conferences.has(number);
}
