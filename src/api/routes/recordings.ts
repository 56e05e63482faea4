import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../lib/errors';
import type { RecordingEntry, RecordingsIndex } from '../../store/RecordingsIndex';
import { access, principalOf } from '../access';
import { visible } from '../auth';
import { parseRange, type RecordingFiles } from '../recordingFiles';
import { recordingParams, recordingsQuery } from '../schemas';
import { FORWARDED_HEADER, forwardHeaders, type SharedConferences } from '../shared';

/** Recordings: list, download with HTTP ranges, delete. */
export function recordingRoutes(
  app: FastifyInstance,
  index: RecordingsIndex,
  files: (location: 'local' | 'asterisk') => RecordingFiles,
  shared?: SharedConferences,
): void {
  const tags = ['recordings'];
  // A recording belongs to its conference: moderators reach only their conferences' recordings.
  const ofRecording = (request: FastifyRequest): string | undefined => index.find((request.params as { name: string }).name)?.conference;
  const read = access('read', ofRecording);
  /**
   * Runs `serve`; a recording in the spool of a node this instance does not drive is asked of the instance that
   * does (with the caller's key, marked so it goes no further), its answer streamed back. 503 only when none does.
   */
  const orForward = async (request: FastifyRequest, reply: FastifyReply, entry: RecordingEntry, serve: () => Promise<unknown>) => {
    try {
      return await serve();
    } catch (error) {
      const forwardable = error instanceof AppError && error.code === 'recording_node_unavailable' && entry.node !== undefined;
      if (!forwardable || !shared || request.headers[FORWARDED_HEADER] !== undefined) throw error;
      const { range } = request.headers;
      const answer = await shared.forwardToNode(entry.node!, {
        method: request.method,
        url: request.url,
        headers: { ...forwardHeaders(request), ...(range !== undefined ? { range } : {}) },
        body: undefined,
      });
      if (!answer) throw error;
      // That instance deleted it: gone from this instance's index too (a shared index already is).
      if (request.method === 'DELETE' && answer.status === 204) index.remove(entry.name);
      return reply.code(answer.status).headers(answer.headers).send(answer.body);
    }
  };
  app.get<{ Querystring: { conference?: string; session?: string } }>(
    '/recordings',
    {
      config: access('read'),
      schema: {
        tags,
        summary: "Every recording (each part of one continued after a takeover), or one conference's",
        querystring: recordingsQuery,
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { conference, session } = request.query;
      const recordings = index
        .list(conference !== undefined ? new Set([conference]) : undefined)
        .filter((r) => visible(principal, r.conference) && (session === undefined || r.session === session));
      return { recordings };
    },
  );

  app.get<{ Params: { name: string } }>(
    '/recordings/:name',
    { config: read, schema: { tags, summary: 'One recording', params: recordingParams } },
    async (request) => index.get(request.params.name),
  );

  app.get<{ Params: { name: string } }>(
    '/recordings/:name/file',
    { config: read, schema: { tags, summary: 'The WAV file; supports Range', params: recordingParams } },
    async (request, reply) => {
      const entry = index.get(request.params.name);
      return orForward(request, reply, entry, () => serveFile(request, reply, entry));
    },
  );
  const serveFile = async (request: FastifyRequest, reply: FastifyReply, entry: RecordingEntry): Promise<unknown> => {
    const source = files(entry.location);
    const size = await source.size(entry);
    const range = parseRange(request.headers.range, size);
    void reply.header('accept-ranges', 'bytes');
    if (range === 'invalid')
      return reply
        .code(416)
        .header('content-range', `bytes */${size}`)
        .send({ error: { code: 'range_not_satisfiable', message: `the file has ${size} bytes`, field: 'range' } });
    void reply.header('content-type', 'audio/wav');
    if (range === null) return reply.header('content-length', size).send(await source.read(entry, 0, size - 1));
    return reply
      .code(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${size}`)
      .header('content-length', range.end - range.start + 1)
      .send(await source.read(entry, range.start, range.end));
  };

  app.delete<{ Params: { name: string } }>(
    '/recordings/:name',
    { config: access('control', ofRecording), schema: { tags, summary: 'Delete a recording and its file', params: recordingParams } },
    async (request, reply) => {
      const entry = index.get(request.params.name);
      return orForward(request, reply, entry, async () => {
        await files(entry.location).remove(entry);
        index.remove(entry.name);
        return reply.code(204).send();
      });
    },
  );
}
