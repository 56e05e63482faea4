import { Readable } from 'node:stream';
import type { Redis } from 'ioredis';
import type { MeetmeApp } from '../app/App';
import type { createApi } from '../app/api';
import { AppError, errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { TypedEmitter } from '../lib/TypedEmitter';
import { END_ORPHANED, KEEP_STATES, PUBLISH_EVENT, RESTORE_STATE } from './fanoutScripts';
import { apiKey, claimKey, conferenceKey, conferenceSeqKey, EVENTS_CHANNEL, leaseKey } from './redisKeys';

/** What the API reads every instance's conferences from (src/api/shared.ts), as createApi takes it. */
type Shared = NonNullable<NonNullable<Parameters<typeof createApi>[3]>['shared']>;
type ForwardedRequest = Parameters<Shared['forwardToNode']>[1];
type StreamedAnswer = NonNullable<Awaited<ReturnType<Shared['forwardToNode']>>>;
type Control = MeetmeApp['manager'];
type ConferenceEvent = Parameters<Control['events']['safeEmit']>[1];
type Snapshot = ReturnType<Control['list']>[number];

/** A published event, and the state its conference is in after it (absent once the conference ended). */
interface Message {
  seq: number;
  holder: string;
  api: string;
  event: ConferenceEvent;
  conference?: Snapshot;
}

interface Held {
  seq: number;
  holder: string;
  api: string;
  conference: Snapshot;
  /** When this instance last learned of it (a reload that started before it does not remove it). */
  at: number;
  /** Since when its state has been missing from Redis (its holder stopped keeping it alive). */
  missingSince?: number;
}

const numberOf = (event: ConferenceEvent): string => (event.type === 'conference.started' ? event.conference.number : event.number);

export interface ConferenceFanoutOptions {
  redis: Redis;
  subscriber: Redis;
  instance: string;
  /** Where the other instances reach this one's API. */
  apiUrl: () => string;
  control: Control;
  /** True while this instance holds a lease: a fenced instance publishes nothing (its memory may be stale). */
  active: () => boolean;
  /** A state not kept alive by its holder for this long is gone; also how long a forward may take. */
  ttlMs: number;
  logger: Logger;
}

/**
 * Every instance's conferences on every instance: the holder numbers each of its conferences' events in Redis
 * (INCR, so a new holder continues the numbering), stores the conference's state with it and publishes both;
 * every instance keeps the states and relays the events. A call on a conference held elsewhere is passed to
 * the holder's API and answered with the holder's answer.
 */
export class ConferenceFanout implements Shared {
  readonly events = new TypedEmitter<{ event: [ConferenceEvent, number] }>();
  private readonly held = new Map<string, Held>();
  /** Conferences whose last publish failed: their next event skips a number, so clients see one was lost. */
  private readonly lost = new Set<string>();
  /** This instance's conferences: the number of the last event it published and that event (to write them back). */
  private readonly mine = new Map<string, { seq: number; event: ConferenceEvent }>();
  private readonly disposers: (() => void)[] = [];
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly options: ConferenceFanoutOptions) {}

  async start(): Promise<void> {
    const { subscriber, control, ttlMs } = this.options;
    subscriber.on('message', (_channel: string, text: string) => this.received(text));
    // Not awaited: with Redis down at start the instance still starts; ioredis subscribes once it connects.
    subscriber.subscribe(EVENTS_CHANNEL).catch(() => undefined);
    this.disposers.push(control.events.subscribe('event', (event) => this.publish(event)));
    this.timers = [
      setInterval(() => void this.keepAlive(), Math.max(100, Math.round(ttlMs / 5))),
      setInterval(() => void this.reload(), Math.max(200, Math.round(ttlMs / 2))),
    ];
    await this.reload();
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    for (const dispose of this.disposers.splice(0)) dispose();
    this.options.subscriber.disconnect();
  }

  list(): { conference: Snapshot; seq: number }[] {
    return [...this.held.values()].map((h) => ({ conference: h.conference, seq: h.seq }));
  }

  async forward(
    number: string,
    request: { method: string; url: string; headers: Record<string, string>; body: unknown },
  ): Promise<{ status: number; contentType: string | undefined; body: string } | undefined> {
    const held = this.held.get(number);
    if (!held || held.holder === this.options.instance) return undefined;
    const headers = { ...request.headers };
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    try {
      const res = await fetch(new URL(request.url, held.api), {
        method: request.method,
        headers,
        ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
        signal: AbortSignal.timeout(this.options.ttlMs),
      });
      return { status: res.status, contentType: res.headers.get('content-type') ?? undefined, body: await res.text() };
    } catch (error) {
      throw new AppError(
        'holder_unreachable',
        `conference ${number} is held by instance ${held.holder}, which does not answer (${errorMessage(error)}); a standby takes its node over`,
        { number, holder: held.holder },
      );
    }
  }

  async forwardToNode(node: string, request: ForwardedRequest): Promise<StreamedAnswer | undefined> {
    const { redis, instance, ttlMs } = this.options;
    const lease = await redis.get(leaseKey(node)).catch(() => null);
    const holder = lease?.slice(0, lease.lastIndexOf(':'));
    const api = holder === undefined || holder === instance ? null : await redis.get(apiKey(holder)).catch(() => null);
    if (holder === undefined || api === null) return undefined;
    // The ttl bounds the wait for the answer's head, not the body: a long file streams as long as it takes.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error(`no answer within ${ttlMs} ms`)), ttlMs);
    try {
      const res = await fetch(new URL(request.url, api), { method: request.method, headers: request.headers, signal: abort.signal });
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'content-length', 'content-range', 'accept-ranges']) {
        const value = res.headers.get(name);
        if (value !== null) headers[name] = value;
      }
      return { status: res.status, headers, body: res.body ? Readable.fromWeb(res.body) : undefined };
    } catch (error) {
      throw new AppError(
        'recording_node_unavailable',
        `node ${node} is driven by instance ${holder}, which does not answer (${errorMessage(error)})`,
        { node, holder },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  private publish(event: ConferenceEvent): void {
    const { redis, instance, apiUrl, control, ttlMs, active, logger } = this.options;
    if (!active()) return;
    const number = numberOf(event);
    const conference = event.type === 'conference.ended' ? undefined : control.list().find((c) => c.number === number);
    const body = JSON.stringify({ holder: instance, api: apiUrl(), event, ...(conference ? { conference } : {}) });
    const step = this.lost.delete(number) ? 2 : 1;
    const floor = Math.max(this.mine.get(number)?.seq ?? 0, this.held.get(number)?.seq ?? 0);
    redis
      .eval(
        PUBLISH_EVENT,
        2,
        conferenceSeqKey(number),
        conferenceKey(number),
        EVENTS_CHANNEL,
        body,
        conference ? 'set' : 'del',
        ttlMs,
        step,
        floor,
      )
      .then((seq) => {
        if (!conference) this.mine.delete(number);
        else if ((seq as number) > (this.mine.get(number)?.seq ?? 0)) this.mine.set(number, { seq: seq as number, event });
      })
      .catch((error: unknown) => {
        if (!this.lost.has(number)) logger.warn({ number, event: event.type, err: errorMessage(error) }, 'event not published to Redis');
        this.lost.add(number);
      });
  }

  private received(text: string): void {
    let message: Message;
    try {
      message = JSON.parse(text) as Message;
    } catch {
      return;
    }
    const number = numberOf(message.event);
    const known = this.held.get(number);
    if (known && message.seq <= known.seq) return;
    if (message.conference) this.held.set(number, { ...message, conference: message.conference, at: Date.now() });
    else this.held.delete(number);
    this.events.safeEmit('event', message.event, message.seq);
  }

  /**
   * Keeps this instance's conferences' states alive while it is active: a dead holder's expire after the ttl. The
   * states a Redis restarted empty forgot are written back at once, as they are now, with their numbering.
   */
  private async keepAlive(): Promise<void> {
    const { redis, instance, ttlMs, control, active } = this.options;
    if (!active()) return;
    // Where the others pass requests for this instance's nodes (forwardToNode); gone soon after it stops.
    void redis.set(apiKey(instance), this.options.apiUrl(), 'PX', ttlMs * 5).catch(() => undefined);
    const conferences = control.list();
    if (conferences.length === 0) return;
    const missing = (await redis
      .eval(
        KEEP_STATES,
        conferences.length,
        ...conferences.map((c) => conferenceKey(c.number)),
        `"holder":${JSON.stringify(instance)}`,
        ttlMs,
      )
      .catch(() => [])) as number[];
    await Promise.all(missing.map((i) => this.restore(conferences[i - 1]!)));
  }

  private async restore(conference: Snapshot): Promise<void> {
    const { redis, instance, apiUrl, ttlMs } = this.options;
    const number = conference.number;
    const mine = this.mine.get(number);
    if (!mine) return;
    // An event whose publish failed changed the state unnumbered: the state written back takes a number of its own,
    // so the other instances take it over what they hold, and the next event follows it (clients see the gap).
    const bumped = this.lost.has(number);
    const seq = mine.seq + (bumped ? 1 : 0);
    const body = JSON.stringify({ holder: instance, api: apiUrl(), event: mine.event, conference });
    const written = (await redis
      .eval(RESTORE_STATE, 3, conferenceKey(number), conferenceSeqKey(number), claimKey(number), body, seq, instance, ttlMs)
      .catch(() => 0)) as number;
    if (written === 0) return;
    this.mine.set(number, { seq, event: mine.event });
    if (bumped) this.lost.delete(number);
  }

  /**
   * Another instance's conference whose state expired: its holder died. Once it has been missing a ttl (a standby
   * takes a dead holder's node within it) the conference is ended on every stream, with `conference.ended`, unless
   * the node is leased again (a standby adopting it); after 5 ttls it is ended whatever the node, unless its holder's
   * claim is live.
   */
  private orphaned(number: string, held: Held, now: number): void {
    const { redis, ttlMs } = this.options;
    held.missingSince ??= now;
    const missing = now - held.missingSince;
    if (missing < ttlMs) return;
    const force = missing >= ttlMs * 5;
    const event: ConferenceEvent = {
      type: 'conference.ended',
      conferenceId: held.conference.id,
      number,
      reason: `instance ${held.holder} is gone and no instance took the conference over`,
    };
    const body = JSON.stringify({ holder: held.holder, api: held.api, event });
    redis
      .eval(
        END_ORPHANED,
        3,
        conferenceKey(number),
        conferenceSeqKey(number),
        claimKey(number),
        EVENTS_CHANNEL,
        body,
        held.seq,
        leaseKey(''),
        force ? 'force' : 'wait',
      )
      .then((seq) => {
        // Not published: another instance did (its message removes it here), a newer state is on its way, or its
        // holder lives (a restarted Redis forgot the state until its next event); given up on after 30 ttls.
        if (seq === 0 && missing >= ttlMs * 30) this.held.delete(number);
      })
      .catch(() => undefined);
  }

  /** Reads every stored state: what a message missed (Redis restarted, this instance just started) or expired. */
  private async reload(): Promise<void> {
    const started = Date.now();
    const { redis } = this.options;
    try {
      const keys: string[] = [];
      let cursor = '0';
      do {
        const [next, found] = await redis.scan(cursor, 'MATCH', conferenceKey('*'), 'COUNT', 1000);
        cursor = next;
        keys.push(...found);
      } while (cursor !== '0');
      const texts = keys.length > 0 ? await redis.mget(...keys) : [];
      const seen = new Set<string>();
      for (const text of texts) {
        if (text === null) continue;
        const message = JSON.parse(text) as Message;
        if (!message.conference) continue;
        const number = message.conference.number;
        seen.add(number);
        const known = this.held.get(number);
        if (!known || message.seq > known.seq) this.held.set(number, { ...message, conference: message.conference, at: started });
      }
      for (const [number, held] of this.held) {
        if (seen.has(number)) delete held.missingSince;
        if (seen.has(number) || held.at >= started) continue;
        if (held.holder === this.options.instance) this.held.delete(number);
        else this.orphaned(number, held, started);
      }
    } catch {
      // Redis unreachable: the lease logs it; the states are read again at the next reload.
    }
  }
}
