import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { definitionFieldsSchema, definitionSchema } from '../../conference/definition';
import type { DefinitionStore } from '../../store/DefinitionStore';
import { access, byNumber, principalOf } from '../access';
import { visible } from '../auth';
import { conferenceParams, definitionCreateBody, definitionReplaceBody } from '../schemas';

// The validator fills in the schema's defaults (options, a schedule's early join and warnings): bodies arrive as the schema's output.
type Created = z.output<typeof definitionSchema>;
type Replaced = z.output<typeof definitionFieldsSchema>;

/** Conference definitions: admins create, change and delete; the config file's are read-only. */
export function definitionRoutes(app: FastifyInstance, definitions: DefinitionStore): void {
  const tags = ['definitions'];
  app.get('/definitions', { config: access('read'), schema: { tags, summary: 'Every defined conference' } }, async (request) => {
    const principal = principalOf(request);
    return { definitions: definitions.list().filter((d) => visible(principal, d.number)) };
  });

  app.get<{ Params: { number: string } }>(
    '/definitions/:number',
    { config: access('read', byNumber), schema: { tags, summary: 'One definition', params: conferenceParams } },
    async (request) => definitions.get(request.params.number),
  );

  app.post<{ Body: Created }>(
    '/definitions',
    { config: access('admin'), schema: { tags, summary: 'Define a conference', body: definitionCreateBody } },
    async (request, reply) => reply.code(201).send(await definitions.create(request.body)),
  );

  app.put<{ Params: { number: string }; Body: Replaced }>(
    '/definitions/:number',
    { config: access('admin'), schema: { tags, summary: 'Replace a definition', params: conferenceParams, body: definitionReplaceBody } },
    async (request) => await definitions.replace(request.params.number, request.body),
  );

  app.delete<{ Params: { number: string } }>(
    '/definitions/:number',
    { config: access('admin'), schema: { tags, summary: 'Delete a definition', params: conferenceParams } },
    async (request, reply) => {
      await definitions.remove(request.params.number);
      return reply.code(204).send();
    },
  );
}
