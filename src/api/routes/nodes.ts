import type { FastifyInstance } from 'fastify';
import { access } from '../access';
import { idParam } from '../schemas';

/** A node as the API lists it (the cluster's NodeStatus). */
export interface NodeView {
  id: string;
  state: string;
  draining: boolean;
  ready: boolean;
  participants: number;
  since: string;
  reconnects: number;
}

/** The Asterisk servers the app drives: listed, drained (no new callers, calls go on) and taken back. */
export interface NodeControl {
  list(): NodeView[];
  drain(id: string): void;
  resume(id: string): void;
}

const tags = ['nodes'];
const nodeParams = { type: 'object', required: ['id'], properties: { id: idParam } } as const;

export function nodeRoutes(app: FastifyInstance, nodes: NodeControl): void {
  app.get('/nodes', { config: access('read'), schema: { tags, summary: 'The Asterisk nodes and their state' } }, async () => nodes.list());
  for (const [action, summary] of [
    ['drain', 'Take no new callers on this node; its calls go on'],
    ['resume', 'Take callers on this node again'],
  ] as const) {
    app.post<{ Params: { id: string } }>(
      `/nodes/:id/${action}`,
      { config: access('admin'), schema: { tags, summary, params: nodeParams } },
      async (request, reply) => {
        if (action === 'drain') nodes.drain(request.params.id);
        else nodes.resume(request.params.id);
        return reply.code(204).send();
      },
    );
  }
}
