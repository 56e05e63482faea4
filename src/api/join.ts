import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { WebSocket } from 'ws';
import { isAppError } from '../lib/errors';
import type { BrowserGateway } from '../webrtc/BrowserGateway';
import type { JoinLinks } from '../webrtc/JoinLinks';
import { access } from './access';

export interface BrowserJoin {
  links: JoinLinks;
  gateway: BrowserGateway;
}

const FILES: Record<string, string> = {
  'join.js': 'text/javascript; charset=utf-8',
  'join.css': 'text/css; charset=utf-8',
};

/** Close codes of the signalling socket for a link that does not admit. */
export const CLOSE_LINK_INVALID = 4001;
export const CLOSE_LINK_EXPIRED = 4010;

const escape = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

/** The page a bad or expired link gets: what happened and what to do, and nothing that joins. */
function refusalPage(title: string, message: string): string {
  return `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>${escape(title)}</title><link rel="stylesheet" href="/join/join.css" /></head>
  <body><main class="refused" data-testid="refused"><h1>${escape(title)}</h1><p>${escape(message)}</p>
  <p>Ask the organiser of the conference for a new link.</p></main></body>
</html>
`;
}

/** `/join/<token>`: the page a browser joins from, its assets, and its signalling socket. */
export function joinRoutes(app: FastifyInstance, browsers: BrowserJoin): void {
  // No API key here: the signed token in the path is the credential, verified by each handler.
  const options = { config: access('public'), schema: { hide: true } };
  const dir = join(__dirname, 'join');
  const page = readFileSync(join(dir, 'index.html'));
  const content = new Map(Object.keys(FILES).map((name) => [name, readFileSync(join(dir, name))]));
  for (const name of Object.keys(FILES))
    app.get(`/join/${name}`, options, async (_request, reply: FastifyReply) =>
      reply.header('content-type', FILES[name] ?? 'text/plain').send(content.get(name)),
    );

  app.get<{ Params: { token: string } }>('/join/:token', options, async (request, reply) => {
    try {
      browsers.links.verify(request.params.token);
    } catch (error) {
      const expired = isAppError(error) && error.code === 'join_token_expired';
      return reply
        .code(expired ? 410 : 401)
        .header('content-type', 'text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(
          expired
            ? refusalPage('This link has expired', 'Join links are valid for a short time only.')
            : refusalPage('This link does not work', isAppError(error) ? error.message : 'it is not a join link'),
        );
    }
    return reply.header('content-type', 'text/html; charset=utf-8').header('cache-control', 'no-store').send(page);
  });

  app.get<{ Params: { token: string } }>('/join/:token/signal', { ...options, websocket: true }, (socket: WebSocket, request) => {
    let claims;
    try {
      claims = browsers.links.verify(request.params.token);
    } catch (error) {
      const expired = isAppError(error) && error.code === 'join_token_expired';
      socket.close(expired ? CLOSE_LINK_EXPIRED : CLOSE_LINK_INVALID, isAppError(error) ? error.message : 'not a join link');
      return;
    }
    browsers.gateway.accept(socket, claims);
  });
}
