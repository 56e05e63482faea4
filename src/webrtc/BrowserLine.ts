import type { CallerEvents, CallerPort, CollectOptions, CollectResult, DirectMedia, MediaUri, PromptEnd } from '../conference/ports';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { TypedEmitter } from '../lib/TypedEmitter';
import type { BrowserPeer } from './BrowserPeer';
import type { AppMessage } from './protocol';

/** Channel ids of browsers start so; they name no Asterisk channel. */
export const BROWSER_CHANNEL_PREFIX = 'browser-';

/** A person types a PIN slower than a phone sends DTMF: the page gets this long per entry. */
export const BROWSER_ENTRY_MS = 60_000;

/**
 * A browser as the conference domain's caller. Its audio is a WebRTC peer relayed into the app mixer;
 * what an Asterisk caller would hear before joining (PIN prompt, "invalid PIN", "locked") is sent to the
 * page as messages instead, and the PIN comes back typed. Every method resolves once the browser is gone.
 */
export class BrowserLine implements CallerPort {
  readonly events = new TypedEmitter<CallerEvents>();
  readonly callerIdNumber = '';
  readonly media: DirectMedia;
  private isGone = false;
  private entry: ((digits: string) => void) | undefined;

  constructor(
    readonly channelId: string,
    readonly callerIdName: string,
    private readonly peer: BrowserPeer,
    private readonly signal: (message: AppMessage) => void,
    private readonly log: Logger,
  ) {
    this.media = { attach: (target) => peer.attach(target), detach: () => peer.detach() };
    peer.events.on('gone', (reason) => this.markGone(reason));
  }

  get gone(): boolean {
    return this.isGone;
  }

  /** The browser's media is up (ICE and DTLS): that is its answer. */
  async answer(): Promise<void> {
    try {
      await this.peer.connected();
    } catch (error) {
      this.markGone(errorMessage(error));
    }
  }

  async play(media: MediaUri[]): Promise<PromptEnd> {
    if (this.isGone) return 'hangup';
    this.signal({ type: 'prompt', media });
    return 'done';
  }

  collect(options: CollectOptions): Promise<CollectResult> {
    if (this.isGone) return Promise.resolve({ digits: '', reason: 'hangup' });
    return new Promise<CollectResult>((resolve) => {
      const finish = (result: CollectResult): void => {
        clearTimeout(timer);
        disposeGone();
        this.entry = undefined;
        resolve(result);
      };
      const timer = setTimeout(() => finish({ digits: '', reason: 'timeout' }), Math.max(options.timeoutMs, BROWSER_ENTRY_MS));
      const disposeGone = this.events.subscribe('gone', () => finish({ digits: '', reason: 'hangup' }));
      this.entry = (digits) => {
        const cut = [...digits].findIndex((d) => options.terminators.includes(d));
        finish({ digits: (cut >= 0 ? digits.slice(0, cut) : digits).slice(0, options.maxDigits), reason: 'complete' });
      };
      this.signal({ type: 'collect', prompt: options.prompts[0] ?? '', maxDigits: options.maxDigits });
    });
  }

  /** Digits the page sent: the answer to a `collect`, else keypad presses (menus). */
  digits(digits: string): void {
    if (this.isGone) return;
    if (this.entry) {
      this.entry(digits);
      return;
    }
    for (const digit of digits) this.events.safeEmit('digit', digit);
  }

  async hangup(): Promise<void> {
    this.markGone('the conference let you go');
  }

  /** The browser left, was let go, or its connection died. Idempotent. */
  markGone(reason: string): void {
    if (this.isGone) return;
    this.isGone = true;
    this.log.info({ reason }, 'browser gone');
    this.signal({ type: 'bye', reason });
    void this.peer.close();
    this.events.safeEmit('gone');
    this.events.removeAllListeners();
  }
}
