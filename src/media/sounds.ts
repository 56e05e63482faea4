import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readWav, to8k } from './wav';

/** Files for `number:N` the English way Asterisk's say.c composes them, up to 999. */
export function numberFiles(n: number): string[] {
  if (!Number.isInteger(n) || n < 0 || n > 999)
    return String(n)
      .split('')
      .map((d) => `digits/${d}`);
  if (n <= 20) return [`digits/${n}`];
  const files: string[] = [];
  let rest = n;
  if (rest >= 100) {
    files.push(`digits/${Math.floor(rest / 100)}`, 'digits/hundred');
    rest %= 100;
  }
  if (rest > 20) {
    files.push(`digits/${rest - (rest % 10)}`);
    rest %= 10;
  }
  if (rest > 0) files.push(`digits/${rest}`);
  return files;
}

function tone(spec: string): Int16Array | undefined {
  const match = /^(\d+)\/(\d+)$/.exec(spec);
  if (!match) return undefined;
  const hz = Number(match[1]);
  const samples = new Int16Array(Math.round((Number(match[2]) / 1000) * 8000));
  for (let i = 0; i < samples.length; i++) samples[i] = Math.round(6000 * Math.sin((2 * Math.PI * hz * i) / 8000));
  return samples;
}

/** How old the music directory's listing may get before startMusic has it read again (in the background). */
const MUSIC_REFRESH_MS = 60_000;

/**
 * Asterisk's sounds and music as 8 kHz PCM, cached. Nothing here reads the disk synchronously: the music
 * directory is read at start (`load`) and again in the background once its listing is a minute old, and a
 * prompt is read asynchronously on its first use, so the event loop that runs the tick never waits on a file.
 */
export class SoundLibrary {
  private readonly cache = new Map<string, Promise<Int16Array | null>>();
  private musicParts: Int16Array[] = [];
  private musicReadAt = -Infinity;
  private musicReading: Promise<void> | undefined;

  constructor(
    private readonly soundsDir: string,
    private readonly musicDir: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reads the music directory; the engine waits for it before it takes rooms. */
  load(): Promise<void> {
    this.musicReading ??= this.readMusic().finally(() => (this.musicReading = undefined));
    return this.musicReading;
  }

  private pcm(path: string): Promise<Int16Array | null> {
    let pcm = this.cache.get(path);
    if (!pcm) {
      pcm = readWav(path).then(to8k, () => null);
      this.cache.set(path, pcm);
    }
    return pcm;
  }

  private async file(name: string): Promise<Int16Array | undefined> {
    for (const path of [join(this.soundsDir, `${name}.wav`), join(this.soundsDir, 'en', `${name}.wav`)]) {
      const pcm = await this.pcm(path);
      if (pcm) return pcm;
    }
    return undefined;
  }

  /**
   * The audio of a media list; missing items are skipped as Asterisk skips them inside a list. Besides Asterisk's
   * schemes, `file:<absolute path>.wav` plays a file of the app's own.
   */
  async resolve(media: readonly string[]): Promise<{ parts: Int16Array[]; missing: string[] }> {
    const parts: Int16Array[] = [];
    const missing: string[] = [];
    for (const uri of media) {
      const colon = uri.indexOf(':');
      const scheme = uri.slice(0, colon);
      const value = uri.slice(colon + 1);
      const names =
        scheme === 'sound'
          ? [value]
          : scheme === 'number'
            ? numberFiles(Number(value))
            : scheme === 'digits'
              ? value.split('').map((d) => `digits/${d}`)
              : [];
      if (scheme === 'file') {
        // A clip made for one call (a caller's name): read each time, not cached, since it is deleted after the call.
        const pcm = value.endsWith('.wav') ? await readWav(value).then(to8k, () => null) : null;
        if (pcm) parts.push(pcm);
        else missing.push(uri);
        continue;
      }
      if (scheme === 'tone') {
        const t = tone(value);
        if (t) parts.push(t);
        else missing.push(uri);
        continue;
      }
      if (names.length === 0) missing.push(uri);
      for (const name of names) {
        const pcm = await this.file(name);
        if (pcm) parts.push(pcm);
        else missing.push(uri);
      }
    }
    return { parts, missing };
  }

  /** Every WAV file of the music directory, in name order, as last read; a stale listing is read again meanwhile. */
  music(): Int16Array[] {
    if (this.now() - this.musicReadAt > MUSIC_REFRESH_MS) void this.load();
    return this.musicParts;
  }

  private async readMusic(): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(this.musicDir)).filter((n) => n.endsWith('.wav')).sort();
    } catch {
      names = [];
    }
    const parts = await Promise.all(names.map((name) => this.pcm(join(this.musicDir, name))));
    this.musicParts = parts.filter((p): p is Int16Array => p !== null);
    this.musicReadAt = this.now();
  }
}

/** Plays PCM parts frame by frame; with `loop` it starts over (music). */
export class Player {
  private part = 0;
  private offset = 0;
  done = false;

  constructor(
    private readonly parts: Int16Array[],
    private readonly loop: boolean,
    readonly finished: (() => void) | undefined = undefined,
  ) {
    if (parts.length === 0) this.done = true;
  }

  /** Writes the next frame into `out` (silence after the end); false once finished. */
  next(out: Int16Array): boolean {
    let written = 0;
    while (written < out.length && !this.done) {
      const part = this.parts[this.part] as Int16Array;
      const n = Math.min(out.length - written, part.length - this.offset);
      out.set(part.subarray(this.offset, this.offset + n), written);
      written += n;
      this.offset += n;
      if (this.offset >= part.length) {
        this.offset = 0;
        this.part++;
        if (this.part >= this.parts.length) {
          if (this.loop) this.part = 0;
          else this.done = true;
        }
      }
    }
    if (written < out.length) out.fill(0, written);
    return written > 0;
  }
}
