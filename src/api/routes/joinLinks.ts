import type { FastifyInstance } from 'fastify';
import { AppError } from '../../lib/errors';
import type { JoinLinks } from '../../webrtc/JoinLinks';
import { access, byNumber } from '../access';
import { conferenceParams } from '../schemas';

const joinLinkBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    pin: { type: 'string', enum: ['included', 'ask'] },
    admin: { type: 'boolean' },
    name: { type: 'string', minLength: 1, maxLength: 60 },
    expiresInSeconds: { type: 'integer', minimum: 60 },
  },
} as const;

type Body = { pin?: 'included' | 'ask'; admin?: boolean; name?: string; expiresInSeconds?: number };

/** `POST /conferences/{number}/join-links`: a link a browser joins with, for a moderator of that conference or an admin. */
export function joinLinkRoutes(app: FastifyInstance, links: JoinLinks | undefined): void {
  app.post<{ Params: { number: string }; Body: Body | undefined }>(
    '/conferences/:number/join-links',
    {
      config: access('control', byNumber),
      schema: {
        tags: ['live'],
        summary: 'A short-lived link a browser joins the conference with (it may stand for the PIN)',
        params: conferenceParams,
        body: joinLinkBody,
      },
      // Every field has a default: a POST without a body asks for a plain link.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request, reply) => {
      if (!links) throw new AppError('webrtc_unavailable', 'browsers cannot join: webrtc.enabled is false');
      const body = request.body ?? {};
      const link = links.issue({
        conference: request.params.number,
        ...(body.pin !== undefined ? { pin: body.pin } : {}),
        ...(body.admin !== undefined ? { admin: body.admin } : {}),
        ...(body.name !== undefined ? { name: body.name } : {}),
        ...(body.expiresInSeconds !== undefined ? { expiresInSeconds: body.expiresInSeconds } : {}),
      });
      return reply.code(201).send({ ...link, url: `${request.protocol}://${request.host}${link.path}` });
    },
  );
}
