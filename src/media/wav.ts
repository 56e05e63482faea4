import { open, readFile, type FileHandle } from 'node:fs/promises';

export interface Pcm {
  sampleRate: number;
  samples: Int16Array;
}

/** Reads a mono PCM16 WAV (8 or 16 kHz, as Debian's asterisk-core-sounds-en-wav ships them). */
export async function readWav(path: string): Promise<Pcm> {
  const buf = await readFile(path);
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

/** One second of samples (at most) waiting for the disk. */
interface Chunk {
  readonly bytes: Buffer;
  used: number;
}

/**
 * Streams a recording to disk with no disk I/O in the tick: `write` fills one-second chunks in memory, and
 * each full chunk is written asynchronously (libuv's thread pool) while the tick goes on; the chunks form
 * a ring reused in turn, and a slow disk gets more of them rather than losing audio. The header is
 * rewritten after every chunk, so the file is a valid WAV up to the last second written, even after a crash.
 */
export class WavRecorder {
  private readonly free: Chunk[] = [];
  private readonly full: Chunk[] = [];
  private current: Chunk;
  private dataBytes = 0;
  private draining: Promise<void> | undefined;
  private failure: Error | undefined;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly file: FileHandle,
    readonly sampleRate: number,
    private readonly chunkBytes: number,
  ) {
    for (let i = 0; i < 3; i++) this.free.push({ bytes: Buffer.alloc(chunkBytes), used: 0 });
    this.current = this.free.pop() as Chunk;
  }

  /** Creates the file with an empty WAV's header. */
  static async open(path: string, sampleRate = 8000, chunkSeconds = 1): Promise<WavRecorder> {
    const file = await open(path, 'w');
    try {
      await file.write(wavHeader(0, sampleRate), 0, 44, 0);
    } catch (error) {
      await file.close();
      throw error;
    }
    return new WavRecorder(path, file, sampleRate, Math.round(sampleRate * chunkSeconds) * 2);
  }

  /** From the tick: samples into memory, clamped to 16 bits. */
  write(samples: Int16Array | Int32Array, length: number): void {
    if (this.closed) return;
    for (let i = 0; i < length; i++) {
      let chunk = this.current;
      if (chunk.used + 2 > this.chunkBytes) chunk = this.queueCurrent();
      const v = samples[i] as number;
      chunk.bytes.writeInt16LE(v > 32767 ? 32767 : v < -32768 ? -32768 : v, chunk.used);
      chunk.used += 2;
    }
  }

  /** From the tick: `length` samples of silence (a gap kept in time). */
  writeSilence(length: number): void {
    if (this.closed) return;
    for (let i = 0; i < length; i++) {
      let chunk = this.current;
      if (chunk.used + 2 > this.chunkBytes) chunk = this.queueCurrent();
      chunk.bytes[chunk.used] = 0;
      chunk.bytes[chunk.used + 1] = 0;
      chunk.used += 2;
    }
  }

  private queueCurrent(): Chunk {
    this.full.push(this.current);
    // The disk is behind by more than the ring holds: one more chunk, so nothing is lost.
    this.current = this.free.pop() ?? { bytes: Buffer.alloc(this.chunkBytes), used: 0 };
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
    return this.current;
  }

  private async drain(): Promise<void> {
    for (let chunk = this.full[0]; chunk !== undefined && this.failure === undefined; chunk = this.full[0]) {
      try {
        await this.file.write(chunk.bytes, 0, chunk.used, 44 + this.dataBytes);
        this.dataBytes += chunk.used;
        await this.file.write(wavHeader(this.dataBytes, this.sampleRate), 0, 44, 0);
      } catch (error) {
        this.failure = error instanceof Error ? error : new Error(String(error));
      }
      this.full.shift();
      chunk.used = 0;
      this.free.push(chunk);
    }
  }

  /** Recorded so far, written or not. */
  get seconds(): number {
    let bytes = this.dataBytes + this.current.used;
    for (const chunk of this.full) bytes += chunk.used;
    return bytes / 2 / this.sampleRate;
  }

  /** Resolves once everything recorded is on disk (rejects with the disk's error, if one happened). */
  async flushed(): Promise<void> {
    while (this.draining) await this.draining;
    if (this.failure !== undefined) throw this.failure;
  }

  /** Writes what is left and the final header, and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.current.used > 0) this.queueCurrent();
    try {
      await this.flushed();
    } finally {
      await this.file.close();
    }
  }
}

/**
 * Makes the header of a recording whose writer was killed agree with the file. WavRecorder writes each second's
 * samples and then the header, so a writer killed -9 leaves a header one second (or, in its first second, all of
 * the data: a data length of 0) behind the samples on disk. The lengths are read from the file size instead and
 * written back; a file too short for a header, or not one of ours, is left as it is. Resolves with the data bytes
 * and the rate, or undefined when there is nothing to repair from.
 */
export async function repairWav(path: string): Promise<{ dataBytes: number; sampleRate: number } | undefined> {
  let file: FileHandle;
  try {
    file = await open(path, 'r+');
  } catch {
    return undefined;
  }
  try {
    const { size } = await file.stat();
    const header = Buffer.alloc(44);
    if (size < 44 || (await file.read(header, 0, 44, 0)).bytesRead < 44) return undefined;
    if (header.toString('ascii', 0, 4) !== 'RIFF' || header.toString('ascii', 36, 40) !== 'data') return undefined;
    const sampleRate = header.readUInt32LE(24);
    // Whole samples only: a write cut in the middle of one leaves an odd byte, dropped from the length.
    const dataBytes = (size - 44) & ~1;
    if (header.readUInt32LE(40) !== dataBytes || header.readUInt32LE(4) !== 36 + dataBytes)
      await file.write(wavHeader(dataBytes, sampleRate), 0, 44, 0);
    return { dataBytes, sampleRate };
  } finally {
    await file.close();
  }
}
