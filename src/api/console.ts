import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { access } from './access';

const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
  'capacity.html': 'text/html; charset=utf-8',
  'capacity.js': 'text/javascript; charset=utf-8',
  'capacity.css': 'text/css; charset=utf-8',
  'session.js': 'text/javascript; charset=utf-8',
};

/** The web console and its capacity page: static files, read once (no build step). */
export function consoleRoutes(app: FastifyInstance): void {
  const dir = join(__dirname, 'console');
  const content = new Map(Object.keys(FILES).map((name) => [name, readFileSync(join(dir, name))]));
  const serve = (name: string) => async (_request: unknown, reply: FastifyReply) =>
    reply.header('content-type', FILES[name] ?? 'text/plain').send(content.get(name) ?? Buffer.alloc(0));
  // The page asks for the key itself; the files hold no secrets.
  const options = { config: access('public'), schema: { hide: true } };
  app.get('/console', options, serve('index.html'));
  app.get('/console/capacity', options, serve('capacity.html'));
  for (const name of Object.keys(FILES)) app.get(`/console/${name}`, options, serve(name));
}
