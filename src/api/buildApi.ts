import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { ApiKeyConfig } from '../config/schema';
import type { ConferenceControl } from '../conference/control';
import type { Logger } from '../lib/logger';
import type { DefinitionStore } from '../store/DefinitionStore';
import type { RecordingsIndex } from '../store/RecordingsIndex';
import { access, installAccessControl, publicScope } from './access';
import { KeyRing } from './auth';
import { consoleRoutes } from './console';
import { installErrorHandling } from './errors';
import { CLOSE_GOING_AWAY, closeWithin, eventStream } from './eventStream';
import type { RecordingFiles } from './recordingFiles';
import { capacityRoutes, type CapacityReader } from './routes/capacity';
import { definitionRoutes } from './routes/definitions';
import { liveRoutes } from './routes/live';
import { nodeRoutes, type NodeControl } from './routes/nodes';
import { recordingRoutes } from './routes/recordings';
import { joinRoutes, type BrowserJoin } from './join';
import { joinLinkRoutes } from './routes/joinLinks';
import type { SharedConferences } from './shared';

export interface ApiDeps {
  logger: Logger;
  /** `ha`, with several instances: which one is active for which node (src/ha). */
  readiness(): { ready: boolean; checks: Record<string, boolean>; ha?: unknown };
  metrics(): Promise<{ contentType: string; body: string }>;
  control: ConferenceControl;
  definitions: DefinitionStore;
  recordings: RecordingsIndex;
  recordingFiles(location: 'local' | 'asterisk'): RecordingFiles;
  keys: readonly ApiKeyConfig[];
  /** The capacity plan and usage history; without it the capacity routes are not there. */
  capacity?: CapacityReader;
  bodyLimitBytes?: number;
  /** A stream client with more than this queued is closed with 4008. */
  eventQueueBytes?: number;
  /** The Asterisk nodes; without it the node routes are not there. */
  nodes?: NodeControl;
  /** Join links and browsers' signalling; unset: browsers cannot join. */
  join?: BrowserJoin | undefined;
  /** Several instances (src/ha): every instance's conferences and events, and control forwarded to their holder. */
  shared?: SharedConferences | undefined;
}

/**
 * The app's HTTP face: health probes, Prometheus metrics, the REST API with its OpenAPI document,
 * the live event stream and the console. Test it with `inject()` or `listen({ port: 0 })`.
 */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  // Probes arrive every few seconds: request lines only at warn and above.
  // Browsers pass the key in the URL of the event stream: it never reaches a log line.
  const loggerInstance: FastifyBaseLogger = deps.logger.child(
    { component: 'http' },
    {
      level: 'warn',
      serializers: {
        req: (req: { method?: string; url?: string }) => ({
          method: req.method,
          url: (req.url ?? '').replace(/([?&]key=)[^&]*/g, '$1[secret]'),
        }),
      },
    },
  );
  const app = Fastify({
    loggerInstance,
    bodyLimit: deps.bodyLimitBytes ?? 65536,
    // A join link's token is a path segment of about 200 characters (find-my-way's default limit is 100).
    routerOptions: { maxParamLength: 512 },
    // Unknown fields are errors, not silently dropped; types are not guessed.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    // Errors the router raises before any handler (an over-long parameter, a malformed URL) get the same JSON shape.
    frameworkErrors: (error, _request, reply) => {
      const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
      void (reply as FastifyReply).code(status).send({ error: { code: 'invalid_request', message: error.message } });
    },
  });
  installErrorHandling(app);
  // Before the access hook: a refused upgrade is answered 401 and its socket closed by the plugin's own hooks.
  await app.register(websocket, {
    options: { maxPayload: 4096 },
    // On close every stream is told the server is going away; one that does not answer is dropped, so
    // a client that stopped reading cannot hold the shutdown up.
    preClose: async function (this: FastifyInstance) {
      const server = this.websocketServer;
      await Promise.all([...server.clients].map((client) => closeWithin(client, CLOSE_GOING_AWAY, 'server shutting down')));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
  installAccessControl(app, new KeyRing(deps.keys));
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'ari-meetme',
        description: 'MeetMe-style conferences on Asterisk: definitions, live control, recordings, events',
        version: '0.1.0',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
  });
  await publicScope(app, async (docs) => {
    await docs.register(swaggerUi, { routePrefix: '/docs' });
  });

  // Probes, metrics, the API's own description and the console's static files need no key.
  const open = { config: access('public'), schema: { hide: true } };
  app.get('/healthz', open, async () => ({ status: 'ok' }));
  app.get('/readyz', open, async (_request, reply) => {
    const state = deps.readiness();
    return reply
      .code(state.ready ? 200 : 503)
      .send({ status: state.ready ? 'ready' : 'not ready', checks: state.checks, ...(state.ha !== undefined ? { ha: state.ha } : {}) });
  });
  app.get('/metrics', open, async (_request, reply) => {
    const { contentType, body } = await deps.metrics();
    return reply.header('content-type', contentType).send(body);
  });
  app.get('/openapi.json', open, async () => app.swagger());
  consoleRoutes(app);
  if (deps.join) joinRoutes(app, deps.join);

  await app.register(
    async (api) => {
      definitionRoutes(api, deps.definitions);
      liveRoutes(api, deps.control, deps.shared);
      recordingRoutes(api, deps.recordings, (location) => deps.recordingFiles(location), deps.shared);
      joinLinkRoutes(api, deps.join?.links);
      eventStream(api, deps.control, deps.eventQueueBytes ?? 1024 * 1024, deps.shared);
      if (deps.capacity) capacityRoutes(api, deps.capacity);
      if (deps.nodes) nodeRoutes(api, deps.nodes);
    },
    { prefix: '/api/v1' },
  );
  return app;
}
