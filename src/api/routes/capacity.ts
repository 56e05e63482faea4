import type { FastifyInstance } from 'fastify';
import {
  HISTORY_MAX_DAYS,
  HISTORY_MAX_POINTS,
  HISTORY_STEPS,
  PLAN_LIMITS,
  type HistoryQuery,
  type PlanRequest,
} from '../../capacity/queries';
import { AppError } from '../../lib/errors';
import { access } from '../access';
import { idParam } from '../schemas';

/** The planner as the API reads it (the app's CapacityService). */
export interface CapacityReader {
  now(): number;
  view(request: PlanRequest): object;
  usage(query: HistoryQuery): object;
}

// Query strings are strings (types are not coerced): numbers are checked here, so the 400 can say the bounds.
const numeric = { type: 'string', pattern: '^-?[0-9]{1,9}(\\.[0-9]{1,6})?$' } as const;
const planQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { hours: numeric, nodeCapacity: numeric, headroom: numeric, leadMinutes: numeric },
} as const;
const historyQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: { type: 'string', format: 'date-time' },
    to: { type: 'string', format: 'date-time' },
    step: { type: 'string', enum: HISTORY_STEPS.map(String) },
    node: idParam,
  },
} as const;

type Query = Record<string, string | undefined>;

const invalid = (field: string, message: string): AppError =>
  new AppError('invalid_request', `querystring.${field}: ${message}`, { field: `querystring.${field}` });

function planRequest(query: Query): PlanRequest {
  const request: PlanRequest = {};
  for (const [name, limits] of Object.entries(PLAN_LIMITS) as [keyof PlanRequest, (typeof PLAN_LIMITS)[keyof PlanRequest]][]) {
    const raw = query[name];
    if (raw === undefined) continue;
    const n = Number(raw);
    if ((limits.integer && !Number.isInteger(n)) || n < limits.min || n > limits.max)
      throw invalid(name, `must be ${limits.integer ? 'a whole number ' : ''}from ${limits.min} to ${limits.max}, not ${raw}`);
    request[name] = n;
  }
  return request;
}

function historyRequest(query: Query, now: number): HistoryQuery {
  const to = query.to !== undefined ? Date.parse(query.to) : now;
  const from = query.from !== undefined ? Date.parse(query.from) : to - 48 * 3600_000;
  const stepMinutes = Number(query.step ?? 15);
  if (from >= to) throw invalid('from', 'must come before to');
  if (to - from > HISTORY_MAX_DAYS * 86_400_000) throw invalid('from', `the range may span at most ${HISTORY_MAX_DAYS} days`);
  const points = (to - from) / (stepMinutes * 60_000);
  if (points > HISTORY_MAX_POINTS) throw invalid('step', `${points} points is more than ${HISTORY_MAX_POINTS}: take a longer step`);
  return { from, to, stepMinutes, node: query.node };
}

/** The capacity plan and the usage history, for autoscalers and the console's capacity page. */
export function capacityRoutes(app: FastifyInstance, capacity: CapacityReader): void {
  const tags = ['capacity'];
  app.get<{ Querystring: Query }>(
    '/capacity/plan',
    {
      config: access('read'),
      schema: {
        tags,
        summary: 'Forecast participants per 15 minutes with an upper band, nodes needed, scale actions, forecast error, hook runs',
        querystring: planQuery,
      },
    },
    async (request) => {
      return capacity.view(planRequest(request.query));
    },
  );

  app.get<{ Querystring: Query }>(
    '/capacity/history',
    {
      config: access('read'),
      schema: {
        tags,
        summary: 'Participants and conferences per step (peak and mean), the service or one node',
        querystring: historyQuery,
      },
    },
    async (request) => {
      return capacity.usage(historyRequest(request.query, capacity.now()));
    },
  );
}
