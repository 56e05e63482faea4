import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

export interface Pcm {
  sampleRate: number;
  samples: Int16Array;
}

/** Reads a mono PCM16 WAV (8 or 16 kHz, as Debian's asterisk-core-sounds-en-wav ships them). */
export function readWav(path: string): Pcm {
  const buf = readFileSync(path);
  if (buf.length < 44 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE')
    throw new Error(`${path}: not a WAV file`);
  let offset = 12;
  let sampleRate = 0;
  let channels = 0;
  let bits = 0;
  while (offset + 8 <= buf.length) {
    const id = buf.toString('ascii', offset, offset + 4);
    const size = buf.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (buf.readUInt16LE(body) !== 1) throw new Error(`${path}: only PCM WAV is supported`);
      channels = buf.readUInt16LE(body + 2);
      sampleRate = buf.readUInt32LE(body + 4);
      bits = buf.readUInt16LE(body + 14);
    } else if (id === 'data') {
      if (bits !== 16 || channels < 1) throw new Error(`${path}: expected 16-bit PCM`);
      const end = Math.min(buf.length, body + size);
      const frames = Math.floor((end - body) / (2 * channels));
      const samples = new Int16Array(frames);
      for (let i = 0; i < frames; i++) samples[i] = buf.readInt16LE(body + i * 2 * channels);
      return { sampleRate, samples };
    }
    offset = body + size + (size & 1);
  }
  throw new Error(`${path}: no data chunk`);
}

/** 16 kHz to 8 kHz: pairs averaged with their neighbours (a short low-pass) before dropping every other. */
export function to8k(pcm: Pcm): Int16Array {
  if (pcm.sampleRate === 8000) return pcm.samples;
  if (pcm.sampleRate !== 16000) throw new Error(`unsupported sample rate ${pcm.sampleRate}`);
  const src = pcm.samples;
  const out = new Int16Array(src.length >> 1);
  for (let i = 0; i < out.length; i++) {
    const a = src[2 * i - 1] ?? 0;
    const b = src[2 * i] ?? 0;
    const c = src[2 * i + 1] ?? 0;
    out[i] = (a + 2 * b + c) >> 2;
  }
  return out;
}

/** The 44-byte header of a mono PCM16 WAV holding `dataBytes` of samples. */
export function wavHeader(dataBytes: number, sampleRate: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8, 'ascii');
  h.write('fmt ', 12, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/**
 * Streams a recording to disk in bounded memory. The header is rewritten with every flush, so the
 * file is a valid WAV up to the last flush even if the process dies.
 */
export class WavRecorder {
  private readonly fd: number;
  private readonly pending: Buffer;
  private used = 0;
  private dataBytes = 0;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly sampleRate = 8000,
    flushSeconds = 1,
  ) {
    this.fd = openSync(path, 'w');
    this.pending = Buffer.alloc(sampleRate * 2 * flushSeconds);
    writeSync(this.fd, wavHeader(0, sampleRate), 0, 44, 0);
  }

  write(samples: Int16Array | Int32Array, length: number): void {
    if (this.closed) return;
    for (let i = 0; i < length; i++) {
      if (this.used + 2 > this.pending.length) this.flush();
      const v = samples[i] as number;
      this.pending.writeInt16LE(v > 32767 ? 32767 : v < -32768 ? -32768 : v, this.used);
      this.used += 2;
    }
  }

  flush(): void {
    if (this.closed || this.used === 0) return;
    writeSync(this.fd, this.pending, 0, this.used, 44 + this.dataBytes);
    this.dataBytes += this.used;
    this.used = 0;
    writeSync(this.fd, wavHeader(this.dataBytes, this.sampleRate), 0, 44, 0);
  }

  get seconds(): number {
    return (this.dataBytes + this.used) / 2 / this.sampleRate;
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    closeSync(this.fd);
  }
}
