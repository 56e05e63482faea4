import type { ConferenceEvent, ConferenceSnapshot } from '../conference/model';
import type { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import type { TypedEmitter } from '../lib/TypedEmitter';
import { presentedKey } from './auth';

/** A conference as every instance sees it: its last state and the number of the last event that state includes. */
export interface SharedConference {
  conference: ConferenceSnapshot;
  seq: number;
}

/** A REST call to pass on to the instance that holds the conference, and that instance's answer. */
export interface ForwardedRequest {
  method: string;
  url: string;
  /** To send as they are: the caller's key and the forwarded mark. */
  headers: Record<string, string>;
  body: unknown;
}

export interface ForwardedAnswer {
  status: number;
  contentType: string | undefined;
  body: string;
}

/** An answer streamed back as it comes (a recording's file), with the headers that describe its body. */
export interface StreamedAnswer {
  status: number;
  headers: Record<string, string>;
  body: Readable | undefined;
}

/** Marks a forwarded request: the instance it reaches answers it itself, so a request is forwarded at most once. */
export const FORWARDED_HEADER = 'x-meetme-forwarded-by';

/** What a forwarded call carries: the forwarded mark, and the caller's key however it was presented (as a bearer). */
export function forwardHeaders(request: FastifyRequest): Record<string, string> {
  const key = presentedKey(request);
  return { [FORWARDED_HEADER]: '1', ...(key !== undefined ? { authorization: `Bearer ${key}` } : {}) };
}

/**
 * Every instance's conferences, when several instances share the nodes (src/ha): the event stream relays every
 * conference's events, numbered per conference, and live control made here reaches the conference's holder.
 */
export interface SharedConferences {
  /** Each event with its conference's number in sequence (`conferenceSeq`), from whichever instance holds it. */
  readonly events: TypedEmitter<{ event: [ConferenceEvent, number] }>;
  list(): SharedConference[];
  /**
   * Passes the request on to the conference's holder when another instance holds it (undefined: nobody else
   * does, this instance answers). Throws `holder_unreachable` when the holder does not answer in time.
   */
  forward(number: string, request: ForwardedRequest): Promise<ForwardedAnswer | undefined>;
  /**
   * Passes the request on to the instance that drives `node` (holds its lease), its answer streamed back (undefined:
   * no other instance does). Throws `recording_node_unavailable` when that instance does not answer in time.
   */
  forwardToNode(node: string, request: ForwardedRequest): Promise<StreamedAnswer | undefined>;
}
