import { createSocket } from 'node:dgram';
import { AriClient, ignoreGone, type AriEvent } from '../../ari';
import type { Config } from '../../config/schema';
import { errorMessage } from '../../lib/errors';
import type { Logger } from '../../lib/logger';
import { goertzelDb } from '../../media/goertzel';
import { newRtpView, parseRtp } from '../../media/rtp';
import { ULAW_DECODE } from '../../media/ulaw';
import type { Check } from './checks';

const TONE_HZ = 1004;
const LISTEN_MS = 2000;

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

/**
 * Calls the shipped self-test extension (a 1004 Hz tone), pairs it with an externalMedia channel to a
 * socket of our own, as the app mixer does, and checks the tone arrives, at what rate and jitter.
 */
export async function selfTest(config: Config, logger: Logger): Promise<Check> {
  const ari = new AriClient({
    url: config.ari.url,
    username: config.ari.username,
    password: config.ari.password,
    app: `${config.ari.app}-doctor`,
    requestTimeoutMs: config.ari.requestTimeoutMs,
    logger,
  });
  const socket = createSocket('udp4');
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
    await ari.rest.channels.originateWithId({ channelId: callerId, endpoint: 'Local/tone@meetme-selftest', app: ari.app });
    await callerUp;
    const mediaUp = waitForStasis(ari, mediaId, 5000);
    const host = `${config.media.advertiseAddress ?? config.media.bindAddress}:${socket.address().port}`;
    await ari.rest.channels.externalMedia({ channelId: mediaId, app: ari.app, external_host: host, format: 'ulaw' });
    await mediaUp;
    await ari.rest.bridges.createWithId({ bridgeId, type: 'mixing,dtmf_events', name: 'meetme-doctor' });
    await ari.rest.bridges.addChannel({ bridgeId, channel: [callerId, mediaId] });
    await new Promise((resolve) => setTimeout(resolve, LISTEN_MS));
    if (arrivals.length < 10) {
      return {
        name: 'end to end audio',
        status: 'fail',
        detail: `only ${arrivals.length} RTP packets arrived in ${LISTEN_MS} ms`,
        fix: `let UDP from Asterisk reach ${host} (MEDIA_BIND_ADDRESS / MEDIA_ADVERTISE_ADDRESS, firewall)`,
      };
    }
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
    const heard = tone > -40 && tone - other > 20;
    const detail = `${arrivals.length} packets, ${rate.toFixed(1)}/s, interarrival jitter ${jitter.toFixed(2)} ms, ${TONE_HZ} Hz at ${tone.toFixed(1)} dBFS`;
    if (!heard)
      return {
        name: 'end to end audio',
        status: 'fail',
        detail,
        fix: 'packets arrive but carry no tone: check the codec (ulaw) and the self-test extension',
      };
    return { name: 'end to end audio', status: rate > 45 && rate < 55 ? 'pass' : 'warn', detail };
  } catch (error) {
    return {
      name: 'end to end audio',
      status: 'fail',
      detail: errorMessage(error),
      fix: 'load the meetme-selftest context from asterisk-conf/extensions.conf and chan_rtp',
    };
  } finally {
    await ignoreGone(ari.rest.channels.hangup({ channelId: mediaId })).catch(() => undefined);
    await ignoreGone(ari.rest.channels.hangup({ channelId: callerId })).catch(() => undefined);
    await ignoreGone(ari.rest.bridges.destroy({ bridgeId })).catch(() => undefined);
    await ari.close();
    socket.close();
  }
}
