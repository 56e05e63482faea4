import { z } from 'zod';
import { conferenceNumber, definitionFieldsSchema, definitionSchema } from '../conference/definition';

/** The JSON Schema of a zod schema, as fastify's validator and the OpenAPI document take it (what a client sends). */
function fromZod(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { io: 'input', target: 'draft-07' });
  return json;
}

/** JSON schemas for every route: invalid input never reaches a handler. */
export const numberParam = fromZod(conferenceNumber);
export const idParam = { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,80}$' } as const;
export const nameParam = { type: 'string', pattern: '^[A-Za-z0-9._-]{1,128}$' } as const;

export const conferenceParams = {
  type: 'object',
  required: ['number'],
  additionalProperties: false,
  properties: { number: numberParam },
} as const;
export const participantParams = {
  type: 'object',
  required: ['number', 'id'],
  additionalProperties: false,
  properties: { number: numberParam, id: idParam },
} as const;
export const recordingParams = {
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: nameParam },
} as const;
/** `?conference=N` lists one conference's recordings, `?session=S` the parts of one recording. */
export const recordingsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { conference: numberParam, session: nameParam },
} as const;

const gain = { type: 'integer', minimum: -4, maximum: 4 } as const;

export const definitionCreateBody = fromZod(definitionSchema);
export const definitionReplaceBody = fromZod(definitionFieldsSchema);

export const playBody = {
  type: 'object',
  additionalProperties: false,
  required: ['media'],
  properties: {
    media: {
      type: 'array',
      minItems: 1,
      maxItems: 20,
      items: {
        type: 'string',
        pattern: '^(sound:[A-Za-z0-9_/-]{1,100}|digits:[0-9*#]{1,20}|number:[0-9]{1,9}|tone:[0-9]{1,5}/[0-9]{1,5})$',
      },
    },
    participantId: idParam,
  },
} as const;

export const gainBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { talk: gain, listen: gain },
} as const;

export const dialOutBody = {
  type: 'object',
  additionalProperties: false,
  required: ['endpoint'],
  properties: {
    endpoint: { type: 'string', pattern: '^[A-Za-z0-9]+/[^\\s,]{1,100}$' },
    callerId: { type: 'string', maxLength: 80, pattern: '^[^\\r\\n]*$' },
    timeoutSeconds: { type: 'integer', minimum: 5, maximum: 300 },
    admin: { type: 'boolean' },
  },
} as const;

export const extendBody = {
  type: 'object',
  additionalProperties: false,
  required: ['minutes'],
  properties: { minutes: { type: 'integer', minimum: 1, maximum: 720 } },
} as const;

export const errorResponse = {
  type: 'object',
  properties: {
    error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' } } },
  },
} as const;
