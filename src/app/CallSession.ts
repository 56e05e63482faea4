import type { AriClient, AriEvent } from '../ari';
import { ignoreGone, isNotFound } from '../ari';
import type {
  CallerEvents,
  CallerPort,
  CollectOptions,
  CollectResult,
  DialplanTarget,
  MediaUri,
  PromptEnd,
  RecordRequest,
} from '../conference/ports';
import type { Clock, TimerHandle } from '../lib/clock';
import { startPlayback, type RunningPlayback } from './playback';
import type { Logger } from '../lib/logger';
import { TypedEmitter } from '../lib/TypedEmitter';

/** Asterisk ends a recording on hangup and then says so; this long is allowed for that before we stop waiting. */
const RECORDING_END_GRACE_MS = 3000;
/** A name recording ends this long after the caller stops speaking (Asterisk's own silence detection). */
const NAME_SILENCE_SECONDS = 3;

/**
 * One caller's Stasis channel, as the conference domain's CallerPort.
 * Every method resolves once the caller is gone instead of rejecting: a hangup mid-prompt is normal.
 */
export class CallSession implements CallerPort {
  readonly events = new TypedEmitter<CallerEvents>();
  private isGone = false;
  private readonly disposers: (() => void)[] = [];

  constructor(
    private readonly ari: AriClient,
    readonly channelId: string,
    readonly callerIdName: string,
    readonly callerIdNumber: string,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** The Asterisk server this channel is on. */
    readonly nodeId: string,
    /** As the StasisStart gave it (`PJSIP/alice-00000001`). */
    readonly channelName: string,
  ) {
    this.disposers.push(ari.onChannel(channelId, (event) => this.onEvent(event)));
  }

  get gone(): boolean {
    return this.isGone;
  }

  private onEvent(event: AriEvent): void {
    switch (event.type) {
      case 'ChannelDtmfReceived':
        this.events.safeEmit('digit', event.digit);
        break;
      // StasisEnd alone ends the call for us: a channel that returns to the dialplan gets no ChannelDestroyed.
      case 'StasisEnd':
      case 'ChannelDestroyed':
        this.markGone();
        break;
      default:
        break;
    }
  }

  /**
   * The channel left (event, 404 from Asterisk, or reconciliation found it missing), or its node was lost
   * (`reason` says so). Idempotent.
   */
  markGone(reason?: string): void {
    if (this.isGone) return;
    this.isGone = true;
    for (const dispose of this.disposers.splice(0)) dispose();
    this.events.safeEmit('gone', reason);
    this.events.removeAllListeners();
  }

  /** Runs an ARI call for this channel; a 404 means the caller already left. */
  private async guard<T>(action: () => Promise<T>): Promise<T | undefined> {
    if (this.isGone) return undefined;
    try {
      return await action();
    } catch (error) {
      if (isNotFound(error)) {
        this.log.info('channel already gone');
        this.markGone();
        return undefined;
      }
      throw error;
    }
  }

  async answer(): Promise<void> {
    await this.guard(() => this.ari.rest.channels.answer({ channelId: this.channelId }));
  }

  /** Resolves when the channel has left, or after `ms` with false: for a call Asterisk itself is ending. */
  left(ms: number): Promise<boolean> {
    if (this.isGone) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(() => {
        dispose();
        resolve(false);
      }, ms);
      const dispose = this.events.subscribe('gone', () => {
        this.clock.clearTimeout(timer);
        resolve(true);
      });
    });
  }

  async hangup(): Promise<void> {
    if (this.isGone) return;
    await ignoreGone(this.ari.rest.channels.hangup({ channelId: this.channelId }));
    this.markGone();
  }

  async play(media: MediaUri[]): Promise<PromptEnd> {
    if (this.isGone) return 'hangup';
    const playback = this.playback(media);
    const end = await playback.finished;
    return end === 'gone' ? 'hangup' : end === 'stopped' ? 'interrupted' : 'done';
  }

  /** A channel playback that ends early when the caller leaves. */
  private playback(media: MediaUri[]): RunningPlayback {
    const playback = startPlayback(this.ari, this.clock, this.log, { kind: 'channel', id: this.channelId }, media);
    const dispose = this.events.subscribe('gone', () => playback.abandon());
    void playback.finished.then((end) => {
      dispose();
      if (end === 'gone') this.markGone();
    });
    return playback;
  }

  collect(options: CollectOptions): Promise<CollectResult> {
    if (this.isGone) return Promise.resolve({ digits: '', reason: 'hangup' });
    return new Promise<CollectResult>((resolve) => {
      let digits = '';
      let timer: TimerHandle | undefined;
      let promptsDone = options.prompts.length === 0;
      const playback = promptsDone ? undefined : this.playback(options.prompts);
      const disposers: (() => void)[] = [];
      const finish = (reason: CollectResult['reason']): void => {
        for (const dispose of disposers.splice(0)) dispose();
        if (timer) this.clock.clearTimeout(timer);
        timer = undefined;
        if (!promptsDone) void playback?.stop().catch(() => undefined);
        resolve({ digits, reason });
      };
      const armTimeout = (): void => {
        if (timer) this.clock.clearTimeout(timer);
        timer = this.clock.setTimeout(() => finish('timeout'), options.timeoutMs);
      };
      disposers.push(
        this.events.subscribe('digit', (digit) => {
          // Asterisk does not stop a playback on DTMF: we stop it at the first digit.
          if (!promptsDone) {
            promptsDone = true;
            void playback?.stop().catch((error: unknown) => this.log.debug({ err: error }, 'stopping prompt'));
          }
          if (options.terminators.includes(digit)) {
            finish('complete');
            return;
          }
          digits += digit;
          if (digits.length >= options.maxDigits) finish('complete');
          else armTimeout();
        }),
        this.events.subscribe('gone', () => finish('hangup')),
      );
      void playback?.finished.then((end) => {
        if (end === 'gone') return;
        if (!promptsDone) {
          promptsDone = true;
          armTimeout();
        }
      });
      if (promptsDone) armTimeout();
    });
  }

  /**
   * Records on the unbridged channel (Asterisk refuses a bridged one): `channels/record` reads the caller's own frames,
   * so it needs no timing module, and the stored file is Asterisk's (`recording:<name>`). Resolves on RecordingFinished
   * (`hangup` when the caller left meanwhile, the file kept until it is discarded) or RecordingFailed.
   */
  record(request: RecordRequest): Promise<'done' | 'hangup' | 'failed'> {
    if (this.isGone) return Promise.resolve('hangup');
    return new Promise((resolve) => {
      let grace: TimerHandle | undefined;
      const finish = (end: 'done' | 'hangup' | 'failed'): void => {
        disposeRecording();
        disposeGone();
        if (grace) this.clock.clearTimeout(grace);
        resolve(end);
      };
      const disposeRecording = this.ari.onRecording(request.name, (event) => {
        if (event.type === 'RecordingFinished') finish(this.isGone ? 'hangup' : 'done');
        else if (event.type === 'RecordingFailed') finish(this.isGone ? 'hangup' : 'failed');
      });
      const disposeGone = this.events.subscribe('gone', () => {
        grace ??= this.clock.setTimeout(() => finish('hangup'), RECORDING_END_GRACE_MS);
      });
      this.ari.rest.channels
        .record({
          channelId: this.channelId,
          name: request.name,
          format: 'wav',
          maxDurationSeconds: request.maxSeconds,
          maxSilenceSeconds: NAME_SILENCE_SECONDS,
          beep: true,
          terminateOn: request.terminateOn,
          ifExists: 'overwrite',
        })
        .catch((error: unknown) => {
          if (isNotFound(error)) this.markGone();
          else this.log.warn({ err: error }, 'recording the caller failed');
          finish(this.isGone ? 'hangup' : 'failed');
        });
    });
  }

  /**
   * Back to the dialplan (ARI `continue`); the StasisEnd that follows ends the session. A channel that hung up
   * meanwhile answers 404: it is simply gone.
   */
  async continueInDialplan(target: DialplanTarget = {}, variables: Readonly<Record<string, string>> = {}): Promise<void> {
    for (const [variable, value] of Object.entries(variables))
      await this.guard(() => this.ari.rest.channels.setChannelVar({ channelId: this.channelId, variable, value }));
    await this.guard(() => this.ari.rest.channels.continueInDialplan({ channelId: this.channelId, ...target }));
  }

  /** Releases routes without touching the channel (app shutdown). */
  dispose(): void {
    for (const dispose of this.disposers.splice(0)) dispose();
  }
}
