import type { Asterisk } from './Asterisk';
import type { DChannel } from './model';

/** A phone in a test: says a tone, presses keys, hangs up, and keeps what it heard. */
export class SimCaller {
  state: 'ringing' | 'up' | 'gone' = 'ringing';
  private toneHz: number | null;
  private phase = 0;
  private readonly heardChunks: Int16Array[] = [];
  private readonly prompts: string[] = [];

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

  /** The next `n` samples at 8 kHz of what this caller says. */
  speak(n: number): Int16Array {
    const out = new Int16Array(n);
    if (this.toneHz === null) return out;
    const step = (2 * Math.PI * this.toneHz) / 8000;
    for (let i = 0; i < n; i++) {
      out[i] = Math.round(this.amplitude * Math.sin(this.phase));
      this.phase += step;
    }
    this.phase %= 2 * Math.PI;
    return out;
  }

  hear(pcm: Int16Array): void {
    this.heardChunks.push(pcm);
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
