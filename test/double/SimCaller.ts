import type { Asterisk } from './Asterisk';
import type { DChannel } from './model';

/** The double's music on hold: one steady tone, so a test can tell it from the conference. */
export const MUSIC_HZ = 523;

/** A phone in a test: says a tone, presses keys, hangs up, and keeps what it heard. */
export class SimCaller {
  state: 'ringing' | 'up' | 'gone' = 'ringing';
  private toneHz: number | null;
  private phase = 0;
  private readonly heardChunks: Int16Array[] = [];
  private readonly prompts: string[] = [];
  /**
   * Its audio comes from an Asterisk generator in the dialplan (Playtones), not from a phone: with no
   * timing module, a generator makes a frame only when a frame comes in (FINDINGS "Generators need a timer").
   */
  generated = false;
  /** Echo() in the dialplan: sends back each frame it reads, timer or not. */
  echo = false;
  /** A phone that sends RTP all the time (silence too); false for one that sends nothing while silent. */
  sendsRtp = true;
  /** Keeps what it hears for `heard()`; a load test of many callers turns it off (50 frames a second each). */
  keepsAudio = true;
  framesHeard = 0;
  /** A phone that negotiated G.722: its channel's CHANNEL(audionativeformat) reads "(g722)". */
  wideband = false;

  constructor(
    private readonly asterisk: Asterisk,
    readonly channel: DChannel,
    toneHz: number | null,
    private readonly amplitude: number,
  ) {
    this.toneHz = toneHz;
  }

  get channelId(): string {
    return this.channel.id;
  }

  /** The tone it says now, if any. */
  get tone(): number | null {
    return this.state === 'gone' ? null : this.toneHz;
  }

  get speaking(): boolean {
    return this.toneHz !== null && this.state !== 'gone';
  }

  setTone(hz: number | null): void {
    this.toneHz = hz;
    this.asterisk.talk(this.channel, hz !== null);
  }

  /** Playtones(hz/onMs,0/offMs): on and off for as long as the call lasts. */
  burst(hz: number, onMs: number, offMs: number): void {
    const cycle = (): void => {
      if (this.state === 'gone') return;
      this.setTone(hz);
      setTimeout(() => {
        if (this.state === 'gone') return;
        this.setTone(null);
        setTimeout(cycle, offMs);
      }, onMs);
    };
    cycle();
  }

  /** The next `n` samples at `rate` of what this caller says. */
  speak(n: number, rate = 8000): Int16Array {
    const out = new Int16Array(n);
    if (this.toneHz === null) return out;
    const step = (2 * Math.PI * this.toneHz) / rate;
    for (let i = 0; i < n; i++) {
      out[i] = Math.round(this.amplitude * Math.sin(this.phase));
      this.phase += step;
    }
    this.phase %= 2 * Math.PI;
    return out;
  }

  hear(pcm: Int16Array): void {
    this.framesHeard++;
    if (this.keepsAudio) this.heardChunks.push(pcm);
  }

  /** Frames of music on hold it heard (each a frame of MUSIC_HZ). */
  musicFrames = 0;

  hearMusic(): void {
    this.musicFrames++;
    const frame = new Int16Array(160);
    for (let i = 0; i < 160; i++) frame[i] = Math.round(4000 * Math.sin((2 * Math.PI * MUSIC_HZ * (this.musicFrames * 160 + i)) / 8000));
    this.hear(frame);
  }

  heardPrompt(uri: string): void {
    this.prompts.push(uri);
  }

  heard(): Int16Array {
    const total = this.heardChunks.reduce((n, c) => n + c.length, 0);
    const out = new Int16Array(total);
    let at = 0;
    for (const chunk of this.heardChunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }

  clearHeard(): void {
    this.heardChunks.length = 0;
  }

  /** Media URIs played to this caller, on its channel or its bridge. */
  playbacks(): string[] {
    return [...this.prompts];
  }

  /** Presses keys; ARI reports each digit when it ends (FINDINGS "Channels and events"). */
  async sendDtmf(digits: string, options: { gapMs?: number; durationMs?: number } = {}): Promise<void> {
    const duration = options.durationMs ?? 100;
    for (const digit of digits) {
      if (this.state === 'gone') return;
      await new Promise((resolve) => setTimeout(resolve, this.asterisk.ms(duration)));
      if (!this.asterisk.channels.has(this.channel.id)) return;
      this.asterisk.dtmf(this.channel, digit, duration);
      await new Promise((resolve) => setTimeout(resolve, options.gapMs ?? 50));
    }
  }

  async hangup(): Promise<void> {
    if (this.state === 'gone') return;
    this.asterisk.hangup(this.channel, false);
  }

  markGone(): void {
    this.state = 'gone';
  }
}
