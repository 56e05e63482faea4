import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { AriClient, ignoreGone, type AriEvent } from '../../ari';
import type { Config } from '../../config/schema';
import { errorMessage } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { goertzelDb } from '../../media/goertzel';
import { newRtpView, parseRtp, writeRtpHeader } from '../../media/rtp';
import { ULAW_DECODE, ulawEncodeSample } from '../../media/ulaw';
import { ConferenceTimer } from '../../timing/ConferenceTimer';
import type { Check } from './checks';

const TONE_HZ = 1004;
const PACKETS = 100;
/** How long after the last packet sent an echo may still come back. */
const TAIL_MS = 300;

function waitForStasis(ari: AriClient, channelId: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      dispose();
      reject(new Error(`channel ${channelId} did not enter Stasis within ${timeoutMs} ms`));
    }, timeoutMs);
    const dispose = ari.onChannel(channelId, (event: AriEvent) => {
      if (event.type === 'StasisStart') {
        clearTimeout(timer);
        dispose();
        resolve();
      } else if (event.type === 'ChannelDestroyed') {
        clearTimeout(timer);
        dispose();
        reject(new Error(`channel ${channelId} was destroyed before answering (is the meetme-selftest context loaded?)`));
      }
    });
  });
}

/** 20 ms frames of a steady tone, u-law. */
function toneFrames(count: number): Uint8Array[] {
  return Array.from({ length: count }, (_, k) => {
    const frame = new Uint8Array(160);
    for (let i = 0; i < 160; i++) frame[i] = ulawEncodeSample(Math.round(8000 * Math.sin((2 * Math.PI * TONE_HZ * (k * 160 + i)) / 8000)));
    return frame;
  });
}

/**
 * Calls the shipped self-test extension (Echo() on a Local channel), pairs it with an externalMedia
 * channel to a socket of our own, as the app mixer pairs a caller, sends it a tone on our own clock and
 * checks the tone comes back, at what rate and jitter. Nothing in it needs an Asterisk timer: the frames
 * we send drive every channel on the way, as the app mixer's do (a generator such as Playtones would
 * send nothing on an Asterisk with no timing module).
 */
export async function selfTest(config: Config, logger: Logger): Promise<Check> {
  const ari = new AriClient({
    url: config.ari.url,
    username: config.ari.username,
    password: config.ari.password,
    app: `${config.ari.app}-doctor`,
    requestTimeoutMs: config.ari.requestTimeoutMs,
    maxConnections: config.ari.maxConnections,
    logger,
  });
  const socket = createSocket('udp4');
  const clock = new ConferenceTimer({ intervalMs: 20 });
  const callerId = ari.newId('doctor-call-');
  const mediaId = ari.newId('doctor-media-');
  const bridgeId = ari.newId('doctor-bridge-');
  const arrivals: number[] = [];
  const timestamps: number[] = [];
  const audio: number[] = [];
  const view = newRtpView();
  socket.on('message', (msg) => {
    if (parseRtp(msg, msg.length, view) !== null || view.payloadType !== 0) return;
    arrivals.push(performance.now());
    timestamps.push(view.timestamp);
    for (let i = 0; i < view.payloadLength; i++) audio.push(ULAW_DECODE[msg[view.payloadOffset + i] as number] as number);
  });
  try {
    await new Promise<void>((resolve) => socket.bind(0, config.media.bindAddress, () => resolve()));
    await ari.connect();
    const callerUp = waitForStasis(ari, callerId, 5000);
    // formats=ulaw: without it a Local pair runs slin192 and the level drops 6 dB each way (FINDINGS).
    await ari.rest.channels.originateWithId({
      channelId: callerId,
      endpoint: 'Local/echo@meetme-selftest/n',
      app: ari.app,
      formats: 'ulaw',
    });
    await callerUp;
    const mediaUp = waitForStasis(ari, mediaId, 5000);
    const host = `${config.media.advertiseAddress ?? config.media.bindAddress}:${socket.address().port}`;
    const media = await ari.rest.channels.externalMedia({ channelId: mediaId, app: ari.app, external_host: host, format: 'ulaw' });
    await mediaUp;
    const target = rtpTarget(media.channelvars, config.ari.url);
    await ari.rest.bridges.createWithId({ bridgeId, type: 'mixing,dtmf_events', name: 'meetme-doctor' });
    await ari.rest.bridges.addChannel({ bridgeId, channel: [callerId, mediaId] });
    await sendTone(clock, (packet) => socket.send(packet, target.port, target.address));
    await new Promise((resolve) => setTimeout(resolve, TAIL_MS));
    return verdict(arrivals, timestamps, audio, host);
  } catch (error) {
    return {
      name: 'end to end audio',
      status: 'fail',
      detail: errorMessage(error),
      fix: 'load the meetme-selftest context from asterisk-conf/extensions.conf and chan_rtp',
    };
  } finally {
    await clock.stop();
    await ignoreGone(ari.rest.channels.hangup({ channelId: mediaId })).catch(() => undefined);
    await ignoreGone(ari.rest.channels.hangup({ channelId: callerId })).catch(() => undefined);
    await ignoreGone(ari.rest.bridges.destroy({ bridgeId })).catch(() => undefined);
    await ari.close();
    socket.close();
  }
}

/** Where externalMedia listens: UNICASTRTP_LOCAL_ADDRESS:PORT, or the ARI host when that address is a wildcard. */
function rtpTarget(vars: Record<string, unknown> | undefined, ariUrl: string): { address: string; port: number } {
  const address = typeof vars?.UNICASTRTP_LOCAL_ADDRESS === 'string' ? vars.UNICASTRTP_LOCAL_ADDRESS : '';
  const port = Number(vars?.UNICASTRTP_LOCAL_PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error('externalMedia answered without UNICASTRTP_LOCAL_PORT');
  const wildcard = address === '' || address === '0.0.0.0' || address === '::';
  return { address: wildcard ? new URL(ariUrl).hostname : address, port };
}

/** PACKETS frames of the tone, one per tick of the conference clock, as the app mixer sends. */
function sendTone(clock: ConferenceTimer, send: (packet: Buffer) => void): Promise<void> {
  const frames = toneFrames(PACKETS);
  const ssrc = randomInt(0, 2 ** 32);
  const firstSequence = randomInt(0, 65536);
  const firstTimestamp = randomInt(0, 2 ** 32);
  let sent = 0;
  return new Promise((resolve) => {
    clock.on('tick', () => {
      if (sent >= PACKETS) return;
      const packet = Buffer.alloc(12 + 160);
      writeRtpHeader(packet, 0, (firstSequence + sent) & 0xffff, (firstTimestamp + sent * 160) >>> 0, ssrc);
      packet.set(frames[sent] as Uint8Array, 12);
      send(packet);
      sent++;
      if (sent === PACKETS) resolve();
    });
    clock.begin();
  });
}

function verdict(arrivals: number[], timestamps: number[], audio: number[], host: string): Check {
  const name = 'end to end audio';
  if (arrivals.length < 10) {
    return {
      name,
      status: 'fail',
      detail: `${PACKETS} RTP packets sent, ${arrivals.length} came back`,
      fix: `let UDP between Asterisk and ${host} through both ways (MEDIA_BIND_ADDRESS / MEDIA_ADVERTISE_ADDRESS, firewall), and load the meetme-selftest context (Echo)`,
    };
  }
  // RFC 3550 interarrival jitter: arrival spacing against the spacing of the RTP timestamps (8 kHz).
  let jitter = 0;
  for (let i = 1; i < arrivals.length; i++) {
    const d = arrivals[i]! - arrivals[i - 1]! - ((timestamps[i]! - timestamps[i - 1]!) >>> 0) / 8;
    jitter += (Math.abs(d) - jitter) / 16;
  }
  const seconds = (arrivals[arrivals.length - 1]! - arrivals[0]!) / 1000;
  const rate = (arrivals.length - 1) / Math.max(0.001, seconds);
  const samples = Int16Array.from(audio.slice(-8000));
  const tone = goertzelDb(samples, TONE_HZ);
  const other = goertzelDb(samples, 600);
  const detail = `${arrivals.length}/${PACKETS} packets back, ${rate.toFixed(1)}/s, interarrival jitter ${jitter.toFixed(2)} ms, ${TONE_HZ} Hz at ${tone.toFixed(1)} dBFS`;
  if (tone < -40 || tone - other < 20)
    return { name, status: 'fail', detail, fix: 'packets come back but carry no tone: check the codec (ulaw) and the self-test extension' };
  const steady = rate > 45 && rate < 55 && arrivals.length >= PACKETS * 0.95 && jitter < 10;
  return steady
    ? { name, status: 'pass', detail }
    : {
        name,
        status: 'warn',
        detail,
        fix: 'packets are lost or late between the app and Asterisk: check the network and the CPU of both hosts',
      };
}
