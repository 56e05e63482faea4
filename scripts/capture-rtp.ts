/**
 * Captures the RTP a real Asterisk sends an externalMedia peer, for test/fixtures/rtp/captured.json:
 * a Local channel playing the shipped self-test tone (`meetme-selftest`, 1004 Hz) and an externalMedia
 * channel (u-law) in a `mixing,dtmf_events` bridge, as the app mixer pairs them; after 3 s a DTMF digit
 * is sent to the caller, then 2 s more. Every datagram is kept whole, with its arrival time.
 *
 *   ARI_URL=http://127.0.0.1:8088 npx tsx scripts/capture-rtp.ts > test/fixtures/rtp/captured.json
 *
 * It uses its own Stasis app (`rtp-capture`) and ids, and removes what it created.
 */
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

const base = process.env.ARI_URL ?? 'http://127.0.0.1:8088';
const auth = process.env.ARI_AUTH ?? 'asterisk:asterisk';
const app = 'rtp-capture';
const headers = { Authorization: `Basic ${Buffer.from(auth).toString('base64')}` };

async function ari(method: string, path: string, query: Record<string, string> = {}): Promise<unknown> {
  const url = `${base}/ari${path}?${new URLSearchParams(query).toString()}`;
  const response = await fetch(url, { method, headers });
  const text = await response.text();
  if (response.status >= 400) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? (JSON.parse(text) as unknown) : null;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const events = new WebSocket(`${base.replace(/^http/, 'ws')}/ari/events?app=${app}&api_key=${encodeURIComponent(auth)}`);
  await new Promise((resolve, reject) => events.once('open', resolve).once('error', reject));
  const started = new Set<string>();
  events.on('message', (data: Buffer) => {
    const event = JSON.parse(data.toString()) as { type: string; channel?: { id: string } };
    if (event.type === 'StasisStart' && event.channel) started.add(event.channel.id);
  });
  const inStasis = async (id: string) => {
    for (let i = 0; i < 100 && !started.has(id); i++) await pause(50);
    if (!started.has(id)) throw new Error(`${id} never entered Stasis`);
  };
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const packets: { atMs: number; from: string; hex: string }[] = [];
  let t0: number | undefined;
  socket.on('message', (msg, rinfo) => {
    t0 ??= performance.now();
    packets.push({
      atMs: Math.round((performance.now() - t0) * 1000) / 1000,
      from: `${rinfo.address}:${rinfo.port}`,
      hex: msg.toString('hex'),
    });
  });
  const tag = Date.now().toString(36);
  const media = `rtpcap-em-${tag}`;
  const caller = `rtpcap-tone-${tag}`;
  const bridge = `rtpcap-br-${tag}`;
  let dtmfAtMs: number | undefined;
  try {
    await ari('POST', '/channels/externalMedia', {
      channelId: media,
      app,
      external_host: `127.0.0.1:${socket.address().port}`,
      format: 'ulaw',
      encapsulation: 'rtp',
      transport: 'udp',
      connection_type: 'client',
      direction: 'both',
    });
    await inStasis(media);
    await ari('POST', '/channels', { endpoint: 'Local/tone@meetme-selftest/n', app, channelId: caller, formats: 'ulaw' });
    await inStasis(caller);
    await ari('POST', '/bridges', { bridgeId: bridge, type: 'mixing,dtmf_events', name: 'rtp-capture' });
    await ari('POST', `/bridges/${bridge}/addChannel`, { channel: `${caller},${media}` });
    await pause(3000);
    dtmfAtMs = t0 === undefined ? undefined : performance.now() - t0;
    await ari('POST', `/channels/${caller}/dtmf`, { dtmf: '5', duration: '100' });
    await pause(2000);
  } finally {
    for (const id of [caller, media]) await ari('DELETE', `/channels/${id}`).catch(() => undefined);
    await ari('DELETE', `/bridges/${bridge}`).catch(() => undefined);
    events.close();
    socket.close();
  }
  const info = (await ari('GET', '/asterisk/info')) as { system?: { version?: string } };
  const capture = {
    about:
      'RTP a real Asterisk sent an externalMedia (u-law) channel bridged (mixing,dtmf_events) with a Local channel playing meetme-selftest (Playtones 1004 Hz); a DTMF digit (100 ms) was sent to the caller at dtmfAtMs. Captured by scripts/capture-rtp.ts.',
    asterisk: info.system?.version,
    capturedAt: new Date().toISOString(),
    dtmfAtMs: dtmfAtMs === undefined ? null : Math.round(dtmfAtMs),
    packets,
  };
  process.stdout.write(`${JSON.stringify(capture, null, 1)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
