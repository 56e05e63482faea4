import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { AsteriskDouble } from '../double';

/**
 * Replays recorded sessions with a real Asterisk 22 against the double: every REST call in order and
 * at the recorded pace; status codes, error bodies, response shapes and the order of each channel's
 * lifecycle events must match the recording.
 */

interface Rec {
  seq: number;
  t_ms: number;
  kind: string;
  ws?: string;
  url?: string;
  req?: number;
  method?: string;
  path?: string;
  query?: Record<string, string>;
  body?: unknown;
  status?: number;
  response?: unknown;
  event?: { type: string; channel?: { id: string } };
}

const LIFECYCLE = new Set([
  'StasisStart',
  'StasisEnd',
  'ChannelEnteredBridge',
  'ChannelLeftBridge',
  'ChannelHangupRequest',
  'ChannelDestroyed',
  'ChannelDtmfReceived',
  'ChannelTalkingStarted',
  'ChannelTalkingFinished',
]);
const STABLE = ['state', 'technology', 'bridge_type', 'bridge_class', 'format', 'media_uri', 'next_media_uri', 'target_uri', 'status'];

function load(name: string): Rec[] {
  return readFileSync(join(__dirname, '../fixtures/transcripts', name), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Rec);
}

function lifecycle(events: { type: string; channel?: { id: string } }[], channelId: string): string[] {
  return events.filter((e) => LIFECYCLE.has(e.type) && e.channel?.id === channelId).map((e) => e.type);
}

async function replay(name: string): Promise<void> {
  const records = load(name);
  const ast = await AsteriskDouble.start({ timing: true, speed: 1 });
  const ids = new Map<string, string>();
  const map = (text: string): string =>
    text
      .split('/')
      .map((part) => ids.get(part) ?? part)
      .join('/');
  const mapText = (text: string): string => [...ids].reduce((t, [from, to]) => t.split(from).join(to), text);
  const sockets = new Map<string, WebSocket>();
  const received: { type: string; channel?: { id: string } }[] = [];
  const recorded: { type: string; channel?: { id: string } }[] = [];
  const requests = new Map<number, Rec>();
  const failures: string[] = [];
  const start = Date.now();
  const t0 = records[0]?.t_ms ?? 0;
  let pending: Promise<{ status: number; body: unknown }> | undefined;
  try {
    for (const rec of records) {
      const due = rec.t_ms - t0 - (Date.now() - start);
      if (due > 0 && (rec.kind === 'rest_request' || rec.kind === 'ws_connect')) await new Promise((r) => setTimeout(r, due));
      if (rec.kind === 'ws_connect' && rec.ws && rec.url) {
        const url = new URL(rec.url);
        const socket = new WebSocket(`${ast.url.replace('http', 'ws')}${url.pathname}${url.search}`);
        socket.on('error', () => undefined);
        sockets.set(rec.ws, socket);
        if (rec.ws === 'main') socket.on('message', (data: Buffer) => received.push(JSON.parse(data.toString('utf8')) as { type: string }));
        await new Promise<void>((resolve) => {
          socket.once('open', () => resolve());
          socket.once('unexpected-response', (_req, res) => {
            const next = records.find((r) => r.seq > rec.seq && r.ws === rec.ws && r.kind === 'ws_rejected');
            if (!next || next.status !== res.statusCode)
              failures.push(`${rec.ws}: socket answered ${res.statusCode}, recorded ${next?.status ?? 'open'}`);
            resolve();
          });
        });
      } else if (rec.kind === 'event' && rec.ws === 'main' && rec.event) {
        recorded.push(rec.event);
      } else if (rec.kind === 'rest_request' && rec.req !== undefined) {
        // The recorded client acted on the events it had seen: wait for ours to have come too.
        const seen = (list: typeof recorded) => list.filter((e) => e.type === 'StasisStart').length;
        for (let waited = 0; seen(received) < seen(recorded) && waited < 2000; waited += 5) await new Promise((r) => setTimeout(r, 5));
        requests.set(rec.req, rec);
        const path = map(rec.path ?? '');
        const query = new URLSearchParams(Object.entries(rec.query ?? {}).map(([k, v]): [string, string] => [k, ids.get(v) ?? v]));
        const response = records.find((r) => r.kind === 'rest_response' && r.req === rec.req);
        const anonymous = response?.status === 401 && !query.has('api_key');
        const headers: Record<string, string> =
          anonymous || query.has('api_key') ? {} : { authorization: `Basic ${Buffer.from('asterisk:asterisk').toString('base64')}` };
        let body: string | undefined;
        if (rec.body !== null && rec.body !== undefined) {
          body = typeof rec.body === 'string' ? rec.body : JSON.stringify(rec.body);
          headers['content-type'] = 'application/json';
        }
        const qs = query.toString();
        pending = fetch(`${ast.url}${path}${qs ? `?${qs}` : ''}`, {
          method: rec.method ?? 'GET',
          headers,
          ...(body !== undefined ? { body } : {}),
        }).then(async (res) => {
          const text = await res.text();
          return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
        });
      } else if (rec.kind === 'rest_response' && rec.req !== undefined && pending) {
        const got = await pending;
        pending = undefined;
        const request = requests.get(rec.req);
        const what = `${request?.method} ${request?.path} (seq ${rec.seq})`;
        if (got.status !== rec.status) {
          failures.push(`${what}: status ${got.status}, recorded ${rec.status}`);
          continue;
        }
        const want = rec.response as Record<string, unknown> | null;
        const have = got.body as Record<string, unknown> | undefined;
        if (rec.status !== undefined && rec.status >= 400) {
          if (JSON.stringify(have) !== mapText(JSON.stringify(want)))
            failures.push(`${what}: body ${JSON.stringify(have)}, recorded ${JSON.stringify(want)}`);
        } else if (want && typeof want === 'object' && !Array.isArray(want) && have) {
          const keys = (o: object) =>
            Object.keys(o)
              .filter((k) => k !== 'channelvars')
              .sort()
              .join(',');
          if (keys(have) !== keys(want)) failures.push(`${what}: keys ${keys(have)}, recorded ${keys(want)}`);
          for (const field of STABLE) {
            const a = have[field];
            const b = want[field];
            if (typeof b === 'string' && typeof a === 'string' && map(b) !== a && !/^(bridge|channel):/.test(b))
              failures.push(`${what}: ${field} ${a}, recorded ${b}`);
          }
          if (typeof want.id === 'string' && typeof have.id === 'string') ids.set(want.id, have.id);
        }
      }
    }
    await new Promise((r) => setTimeout(r, 300));
    for (const [recordedId, id] of ids) {
      const expected = lifecycle(recorded, recordedId);
      if (expected.length === 0) continue;
      const actual = lifecycle(received, id);
      if (JSON.stringify(actual) !== JSON.stringify(expected))
        failures.push(`channel ${recordedId}: events ${actual.join(' ')}, recorded ${expected.join(' ')}`);
    }
  } finally {
    for (const socket of sockets.values()) socket.terminate();
    await ast.stop();
  }
  expect(failures, failures.join('\n')).to.deep.equal([]);
}

describe('the ARI double against recorded Asterisk 22 sessions', function () {
  this.timeout(60000);
  it('errors.jsonl: status codes, error bodies, socket rejections and ApplicationReplaced', () => replay('errors.jsonl'));
  it('caller-joins-mixing-bridge.jsonl: joins, playback, mute, TALK_DETECT, recording, hangup order', () =>
    replay('caller-joins-mixing-bridge.jsonl'));
  it('no-timing-module.jsonl: a mixing bridge drops its channels with no timer, and mixes with one', () =>
    replay('no-timing-module.jsonl'));
});
