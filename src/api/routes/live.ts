import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ConferenceControl } from '../../conference/control';
import type { GainStep } from '../../conference/ports';
import { access, byNumber, principalOf } from '../access';
import { visible } from '../auth';
import { FORWARDED_HEADER, forwardHeaders, type SharedConferences } from '../shared';
import { conferenceParams, dialOutBody, extendBody, gainBody, participantParams, playBody } from '../schemas';

type Params = { number: string; id?: string };

/**
 * Live conferences: what moderators see and do. With `shared` (several instances), the list has every
 * instance's conferences, and a call on a conference another instance holds is answered by that instance.
 */
export function liveRoutes(app: FastifyInstance, control: ConferenceControl, shared?: SharedConferences): void {
  const tags = ['live'];
  // After the access check and the schema's, so a refused or malformed call is answered here as it would be there.
  const preHandler = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const number = (request.params as Params).number;
    if (!shared || request.headers[FORWARDED_HEADER] !== undefined || control.list().some((c) => c.number === number)) return;
    const answer = await shared.forward(number, {
      method: request.method,
      url: request.url,
      headers: forwardHeaders(request),
      body: request.body,
    });
    if (!answer) return;
    if (answer.contentType !== undefined) void reply.header('content-type', answer.contentType);
    await reply.code(answer.status).send(answer.body === '' ? undefined : answer.body);
  };
  const read = access('read', byNumber);
  const act = access('control', byNumber);

  app.get(
    '/conferences',
    { config: access('read'), schema: { tags, summary: 'Live conferences with their participants' } },
    async (request) => {
      const principal = principalOf(request);
      const local = control.list();
      const elsewhere = (shared?.list() ?? []).map((c) => c.conference).filter((c) => !local.some((l) => l.number === c.number));
      return { conferences: [...local, ...elsewhere].filter((c) => visible(principal, c.number)) };
    },
  );

  app.get<{ Params: Params }>(
    '/conferences/:number',
    { config: read, preHandler, schema: { tags, summary: 'One live conference', params: conferenceParams } },
    async (request) => control.get(request.params.number),
  );

  app.get<{ Params: Params }>(
    '/conferences/:number/participants',
    { config: read, preHandler, schema: { tags, summary: 'Its participants', params: conferenceParams } },
    async (request) => ({ participants: control.get(request.params.number).participants }),
  );

  /** A POST without a body that runs one control action and answers 204. */
  const action = (path: string, summary: string, params: object, run: (p: Params) => Promise<unknown>): void => {
    app.post<{ Params: Params }>(path, { config: act, preHandler, schema: { tags, summary, params } }, async (request, reply) => {
      await run(request.params);
      return reply.code(204).send();
    });
  };
  action('/conferences/:number/participants/:id/mute', 'Mute one participant', participantParams, (p) =>
    control.setMuted(p.number, p.id ?? '', true),
  );
  action('/conferences/:number/participants/:id/unmute', 'Unmute one participant', participantParams, (p) =>
    control.setMuted(p.number, p.id ?? '', false),
  );
  action('/conferences/:number/participants/:id/kick', 'Kick one participant', participantParams, (p) =>
    control.kick(p.number, p.id ?? ''),
  );
  action('/conferences/:number/mute-all', 'Mute everyone but the admins, in one call', conferenceParams, (p) =>
    control.setAllMuted(p.number, true),
  );
  action('/conferences/:number/unmute-all', 'Unmute everyone but the admins', conferenceParams, (p) =>
    control.setAllMuted(p.number, false),
  );
  action('/conferences/:number/kick-last', 'Kick the last participant who joined', conferenceParams, (p) => control.kickLast(p.number));
  action('/conferences/:number/kick-all', 'Kick everyone but the admins', conferenceParams, (p) => control.kickAll(p.number));
  action('/conferences/:number/lock', 'Lock: new callers are refused', conferenceParams, (p) => control.setLocked(p.number, true));
  action('/conferences/:number/unlock', 'Unlock', conferenceParams, (p) => control.setLocked(p.number, false));
  action('/conferences/:number/recording/stop', 'Stop recording', conferenceParams, (p) => control.stopRecording(p.number));
  action('/conferences/:number/recording/pause', 'Pause recording', conferenceParams, (p) => control.pauseRecording(p.number, true));
  action('/conferences/:number/recording/resume', 'Resume a paused recording', conferenceParams, (p) =>
    control.pauseRecording(p.number, false),
  );
  action('/conferences/:number/end', 'End the conference: everyone is hung up', conferenceParams, (p) => control.end(p.number));

  app.post<{ Params: Params }>(
    '/conferences/:number/recording/start',
    { config: act, preHandler, schema: { tags, summary: 'Start recording', params: conferenceParams } },
    async (request, reply) => {
      return reply.code(201).send({ name: await control.startRecording(request.params.number) });
    },
  );

  app.post<{ Params: Params }>(
    '/conferences/:number/participants/:id/recording/start',
    { config: act, preHandler, schema: { tags, summary: "Record one participant's own audio to its own file", params: participantParams } },
    async (request, reply) => {
      return reply.code(201).send({ name: await control.startParticipantRecording(request.params.number, request.params.id ?? '') });
    },
  );
  action('/conferences/:number/participants/:id/recording/stop', "Stop one participant's own recording", participantParams, (p) =>
    control.stopParticipantRecording(p.number, p.id ?? ''),
  );

  app.post<{ Params: Params; Body: { media: string[]; participantId?: string } }>(
    '/conferences/:number/play',
    {
      config: act,
      preHandler,
      schema: { tags, summary: 'Play sounds to the conference or to one participant', params: conferenceParams, body: playBody },
    },
    async (request, reply) => {
      await control.play(request.params.number, request.body.media, request.body.participantId);
      return reply.code(204).send();
    },
  );

  app.patch<{ Params: Params; Body: { talk?: GainStep; listen?: GainStep } }>(
    '/conferences/:number/participants/:id/gain',
    { config: act, preHandler, schema: { tags, summary: 'Set talk and listen volume (-4..4)', params: participantParams, body: gainBody } },
    async (request, reply) => {
      await control.setGain(request.params.number, request.params.id ?? '', request.body);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: Params; Body: { endpoint: string; callerId?: string; timeoutSeconds?: number; admin?: boolean } }>(
    '/conferences/:number/dial-out',
    {
      config: act,
      preHandler,
      schema: { tags, summary: 'Call an endpoint (e.g. PJSIP/alice) into the conference', params: conferenceParams, body: dialOutBody },
    },
    async (request, reply) => {
      return reply.code(202).send(await control.dialOut(request.params.number, request.body));
    },
  );

  app.post<{ Params: Params; Body: { minutes: number } }>(
    '/conferences/:number/extend',
    {
      config: act,
      preHandler,
      schema: { tags, summary: 'Move a booked conference end later', params: conferenceParams, body: extendBody },
    },
    async (request, reply) => {
      await control.extend(request.params.number, request.body.minutes);
      return reply.code(204).send();
    },
  );
}
