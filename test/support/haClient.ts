import WebSocket from 'ws';
import type { Instance } from './haInstance';

export interface StreamMessage {
  type: string;
  seq: number;
  conferenceSeq?: number;
  number?: string;
  participantId?: string;
  reason?: string;
  conference?: { number: string; nodeId?: string } | string | null;
  conferences?: { number: string; conferenceSeq: number; participants: { id: string }[] }[];
}

/** A client of one instance's event stream (with an admin key), keeping every message. */
export class Stream {
  readonly messages: StreamMessage[] = [];
  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => this.messages.push(JSON.parse(data.toString('utf8')) as StreamMessage));
  }

  static async open(instance: Instance, key: string): Promise<Stream> {
    const socket = new WebSocket(`ws://127.0.0.1:${instance.port}/api/v1/events?key=${key}`);
    const stream = new Stream(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return stream;
  }

  /** The events of conference `number`, with their numbers. */
  of(number: string): StreamMessage[] {
    return this.messages.filter(
      (m) =>
        m.conferenceSeq !== undefined && (m.number === number || (typeof m.conference === 'object' && m.conference?.number === number)),
    );
  }

  close(): void {
    this.socket.terminate();
  }
}

/** One request to an instance's API with `key`; the answer's status, JSON body and how long it took. */
export async function haApi(
  instance: Instance,
  key: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
  const started = Date.now();
  const res = await fetch(`http://127.0.0.1:${instance.port}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, ms: Date.now() - started };
}
