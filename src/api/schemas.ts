/** JSON schemas for every route: invalid input never reaches a handler. */
export const numberParam = { type: 'string', pattern: '^[0-9]{1,20}$' } as const;
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

const digits = (max: number) => ({ type: 'string', pattern: `^[0-9]{1,${max}}$` }) as const;
const gain = { type: 'integer', minimum: -4, maximum: 4 } as const;

const definitionFields = {
  name: { type: 'string', minLength: 1, maxLength: 100 },
  pin: digits(12),
  adminPin: digits(12),
  options: { type: 'string', maxLength: 200 },
  maxMembers: { type: 'integer', minimum: 1, maximum: 10000 },
  mixer: { type: 'string', enum: ['app', 'asterisk'] },
  recording: { type: 'string', enum: ['off', 'always', 'on-demand'] },
  schedule: {
    type: 'object',
    additionalProperties: false,
    required: ['start', 'end'],
    properties: {
      start: { type: 'string', format: 'date-time' },
      end: { type: 'string', format: 'date-time' },
      earlyJoinMinutes: { type: 'integer', minimum: 0, maximum: 1440, default: 10 },
      endWarningsMinutes: { type: 'array', maxItems: 5, items: { type: 'integer', minimum: 1, maximum: 120 }, default: [] },
    },
  },
} as const;

export const definitionCreateBody = {
  type: 'object',
  additionalProperties: false,
  required: ['number', 'name'],
  properties: { number: numberParam, ...definitionFields },
} as const;

export const definitionReplaceBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: definitionFields,
} as const;

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
