import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { AppError } from '../lib/errors';
import { KeyRing, presentedKey, roleAllows, visible, type AccessLevel, type Principal } from './auth';

/** Who may call a route, declared on the route itself (`config: access(...)`) and enforced by one hook. */
export interface RouteAccess {
  level: AccessLevel;
  /**
   * The conference the request acts on, for moderators (who act on their own conferences only); omitted
   * for collections, whose handlers list only what the caller may see. Asked only for moderators, after
   * the key and the role passed; when it finds nothing the moderator is refused, so a refusal never says
   * whether the resource exists.
   */
  conference?: (request: FastifyRequest) => string | undefined;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    /** Set by the access hook on every route that needs a key. */
    principal: Principal | null;
  }
}

/** The route option that declares access: `app.get(path, { config: access('read', byNumber) }, handler)`. */
export function access(level: AccessLevel, conference?: RouteAccess['conference']): { access: RouteAccess } {
  return { access: conference ? { level, conference } : { level } };
}

/** The conference named in the path (`/conferences/:number/...`). */
export const byNumber = (request: FastifyRequest): string | undefined => (request.params as { number?: string }).number;

/** Routes registered inside `register` need no key (plugins' routes, such as the docs pages, declare nothing themselves). */
export async function publicScope(app: FastifyInstance, register: (scope: FastifyInstance) => Promise<void>): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onRoute', (route: RouteOptions) => {
      route.config = { ...route.config, access: { level: 'public' } };
    });
    await register(scope);
  });
}

/** The principal the hook found; only routes that need a key have one. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new AppError('unauthorized', 'an API key is required');
  return request.principal;
}

/**
 * Authorisation in one place: every request is checked against its route's declared access in
 * `onRequest`, before its body is read or anything is looked up, so an unauthorised caller learns
 * nothing about what exists. A route that declares no access stops the app from starting, and answers
 * 401 if one ever slips through.
 */
export function installAccessControl(app: FastifyInstance, ring: KeyRing): void {
  app.decorateRequest('principal', null);
  // Checked once every route is in: a plugin's routes get their access from the scope they are registered in.
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route: RouteOptions) => void routes.push(route));
  app.addHook('onReady', async () => {
    const undeclared = routes.filter((route) => !route.config?.access).map((route) => `${String(route.method)} ${route.url}`);
    if (undeclared.length > 0) throw new Error(`routes that declare no access: ${undeclared.join(', ')}`);
  });
  app.addHook('onRequest', async (request) => {
    if (request.is404) return;
    const declared = request.routeOptions.config.access;
    const level = declared?.level;
    if (level === 'public') return;
    // Fail closed: a route that somehow declares nothing lets nobody in.
    if (level === undefined) throw new AppError('unauthorized', 'this route declares no access');
    const secret = presentedKey(request);
    const principal = secret !== undefined ? ring.find(secret) : undefined;
    if (!principal) throw new AppError('unauthorized', secret === undefined ? 'an API key is required' : 'unknown API key');
    const refused = (what: string) => new AppError('forbidden', `${principal.role} "${principal.name}" may not ${what}`);
    if (!roleAllows(principal, level)) throw refused(level === 'admin' ? 'administer' : 'do this');
    const scope = declared?.conference;
    if (principal.conferences !== undefined && scope) {
      const number = scope(request);
      if (number === undefined || !visible(principal, number))
        throw refused(number === undefined ? 'do this' : `do this on conference ${number}`);
    }
    request.principal = principal;
  });
}
