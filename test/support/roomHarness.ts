import { MediaLeg, type Codec } from '../../src/media/MediaLeg';
import { MediaRoom, type RoomHost } from '../../src/media/MediaRoom';
import { G722Decoder, G722Encoder } from '../../src/media/g722';
import { SoundLibrary } from '../../src/media/sounds';
import { ulawDecodeInto, ulawEncodeInto } from '../../src/media/ulaw';
import type { RoomAudio } from '../../src/media/voice';

/**
 * A MediaRoom with no sockets: what each leg would be sent is kept (decoded), and what each says is pushed
 * straight into its jitter buffer, as the engine's receive path does.
 */
export function roomHarness(audio?: RoomAudio) {
  const heard = new Map<string, { pt: number; pcm: Int16Array[] }>();
  const decoders = new Map<string, G722Decoder>();
  const host: RoomHost = {
    sounds: new SoundLibrary('/nonexistent', '/nonexistent'),
    legAdded: () => undefined,
    legRemoved: () => undefined,
    send: (leg, packet) => {
      const entry = heard.get(leg.participantId) ?? { pt: -1, pcm: [] };
      heard.set(leg.participantId, entry);
      entry.pt = (packet[1] as number) & 0x7f;
      const payload = packet.subarray(12);
      const pcm = new Int16Array(leg.rate / 50);
      if (leg.codec === 'g722') {
        let d = decoders.get(leg.participantId);
        if (!d) decoders.set(leg.participantId, (d = new G722Decoder()));
        d.decode(payload, 0, payload.length, pcm);
      } else ulawDecodeInto(payload, 0, pcm, payload.length);
      entry.pcm.push(pcm);
    },
  };
  const room = new MediaRoom('r', host);
  if (audio) room.configure(audio);
  const encoders = new Map<string, G722Encoder>();
  const seqs = new Map<string, number>();
  const add = (id: string, codec: Codec): MediaLeg => {
    const leg = room.addLeg({ participantId: id, codec });
    leg.setRemote('127.0.0.1', 1);
    return leg;
  };
  /** One 20 ms frame from `id`, at its codec's rate. */
  const say = (id: string, frame: Int16Array): void => {
    const leg = room.leg(id);
    const payload = new Uint8Array(160);
    if (leg.codec === 'g722') {
      let e = encoders.get(id);
      if (!e) encoders.set(id, (e = new G722Encoder()));
      e.encode(frame, frame.length, payload);
    } else ulawEncodeInto(frame, payload, 0, 160);
    const seq = seqs.get(id) ?? 1000;
    seqs.set(id, seq + 1);
    leg.jitter.push(seq, payload, 0, 160);
  };
  /** The last `frames` frames `id` was sent, joined. */
  const lastHeard = (id: string, frames: number): Int16Array => {
    const pcm = heard.get(id)?.pcm ?? [];
    const parts = pcm.slice(-frames);
    const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  const payloadType = (id: string) => heard.get(id)?.pt;
  return { room, add, say, lastHeard, payloadType, heard };
}

/** 20 ms of a tone at `rate`, continuing from frame `n`. */
export function toneAt(hz: number, n: number, rate: number, amplitude = 6000): Int16Array {
  const len = rate / 50;
  const out = new Int16Array(len);
  for (let i = 0; i < len; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * (n * len + i)) / rate));
  return out;
}
