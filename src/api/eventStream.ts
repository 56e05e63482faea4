import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { ConferenceControl } from '../conference/control';
import { CONFERENCE_NUMBER } from '../conference/definition';
import type { ConferenceEvent } from '../conference/model';
import { access, principalOf } from './access';
import { visible } from './auth';
import type { SharedConferences } from './shared';

/** Close code a client can act on (a refused key is refused with 401 before the upgrade, as on every route). */
export const CLOSE_SLOW_CONSUMER = 4008;
/** 1001: the server is going away. */
export const CLOSE_GOING_AWAY = 1001;
/**
 * How long a closed stream may take to answer our close frame. A client that stopped reading never
 * reads it, and `ws` would keep the socket (and hold up the server's shutdown) for 30 s.
 */
const CLOSE_GRACE_MS = 1000;

/** Closes with a code the client can act on, and drops the connection if it has not answered in time. */
export function closeWithin(socket: WebSocket, code: number, reason: string, graceMs = CLOSE_GRACE_MS): Promise<void> {
  if (socket.readyState === socket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => socket.terminate(), graceMs);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.close(code, reason);
  });
}

function numberOf(event: ConferenceEvent): string {
  return event.type === 'conference.started' ? event.conference.number : event.number;
}

/**
 * `GET /api/v1/events?conference=N&key=K` (WebSocket): a snapshot, then every change, each with a
 * per-stream `seq` so a client sees gaps and resubscribes. A client that does not read is cut off
 * with 4008 before its queue can grow without bound. With `shared` (several instances), every instance's
 * conferences, each event with its conference's `conferenceSeq` and each snapshotted conference with the
 * `conferenceSeq` of the last event it includes: a client that sees a number skipped resubscribes.
 */
export function eventStream(app: FastifyInstance, control: ConferenceControl, maxBufferedBytes: number, shared?: SharedConferences): void {
  app.get(
    '/events',
    {
      websocket: true,
      config: access('read'),
      schema: { tags: ['live'], summary: 'Live event stream (WebSocket): snapshot, then deltas with seq' },
    },
    (socket: WebSocket, request) => {
      const who = principalOf(request);
      const query = request.query as Record<string, unknown>;
      let filter: string | undefined =
        typeof query.conference === 'string' && CONFERENCE_NUMBER.test(query.conference) ? query.conference : undefined;
      let seq = 0;
      let open = true;
      const send = (message: Record<string, unknown>): void => {
        if (!open) return;
        if (socket.bufferedAmount > maxBufferedBytes) {
          open = false;
          void closeWithin(socket, CLOSE_SLOW_CONSUMER, 'slow consumer');
          return;
        }
        seq++;
        socket.send(JSON.stringify({ ...message, seq }));
      };
      const wanted = (number: string): boolean => visible(who, number) && (filter === undefined || filter === number);
      const snapshot = (): void =>
        send({
          type: 'snapshot',
          conference: filter ?? null,
          conferences: shared
            ? shared
                .list()
                .filter((c) => wanted(c.conference.number))
                .map((c) => ({ ...c.conference, conferenceSeq: c.seq }))
            : control.list().filter((c) => wanted(c.number)),
        });
      snapshot();
      const dispose = shared
        ? shared.events.subscribe('event', (event, conferenceSeq) => {
            if (wanted(numberOf(event))) send({ ...event, conferenceSeq });
          })
        : control.events.subscribe('event', (event) => {
            if (wanted(numberOf(event))) send(event);
          });
      socket.on('message', (data: Buffer) => {
        let message: { type?: unknown; conference?: unknown };
        try {
          message = JSON.parse(data.toString('utf8')) as typeof message;
        } catch {
          send({ type: 'error', error: { code: 'invalid_message', message: 'messages are JSON' } });
          return;
        }
        if (
          message.type !== 'subscribe' ||
          (message.conference !== undefined &&
            message.conference !== null &&
            (typeof message.conference !== 'string' || !CONFERENCE_NUMBER.test(message.conference)))
        ) {
          send({
            type: 'error',
            error: { code: 'invalid_message', message: 'expected {"type":"subscribe","conference":"<digits>"|null}', field: 'conference' },
          });
          return;
        }
        filter = typeof message.conference === 'string' ? message.conference : undefined;
        snapshot();
      });
      socket.on('close', () => {
        open = false;
        dispose();
      });
    },
  );
}
