import type { AriClient } from '../ari';
import { ignoreGone, isAriError, isNotFound } from '../ari';
import type { MediaUri } from '../conference/ports';
import type { Clock, TimerHandle } from '../lib/clock';
import type { Logger } from '../lib/logger';

export type PlaybackEnd = 'done' | 'stopped' | 'gone' | 'failed';

export interface RunningPlayback {
  readonly id: string;
  readonly finished: Promise<PlaybackEnd>;
  /** Asks Asterisk to stop it; `finished` then resolves `stopped`. */
  stop(): Promise<void>;
  /** Ends the wait without asking Asterisk anything (the target left). */
  abandon(): void;
}

/** Every this often without PlaybackFinished, ask whether Asterisk still knows the playback. */
const START_GUARD_MS = 10000;
const MAX_FAILED_CHECKS = 3;

/**
 * Plays media on a channel or a bridge and resolves when Asterisk says it finished.
 * The id is ours and routed before the POST, because PlaybackStarted can arrive before the 201.
 * Asterisk never finishes some playbacks (an unsupported scheme; a missing file on an empty bridge
 * sends no events at all, FINDINGS "Playback"), and events are lost while the socket is down, so a
 * guard asks GET /playbacks/{id} now and then and gives up on 404.
 */
export function startPlayback(
  ari: AriClient,
  clock: Clock,
  log: Logger,
  target: { kind: 'channel' | 'bridge'; id: string },
  media: MediaUri[],
): RunningPlayback {
  const id = ari.newId('pb');
  let stopped = false;
  let settle: (end: PlaybackEnd) => void = () => undefined;
  const finished = new Promise<PlaybackEnd>((resolve) => {
    let guard: TimerHandle | undefined;
    let dispose: () => void = () => undefined;
    settle = (end) => {
      dispose();
      if (guard) clock.clearTimeout(guard);
      guard = undefined;
      settle = () => undefined;
      resolve(stopped && end === 'done' ? 'stopped' : end);
    };
    let failedChecks = 0;
    const armGuard = (): void => {
      guard = clock.setTimeout(() => {
        guard = undefined;
        ari.rest.playbacks.get({ playbackId: id }).then(
          () => {
            failedChecks = 0;
            armGuard();
          },
          (error: unknown) => {
            // 404: Asterisk forgot it. Unanswered checks: Asterisk is out of reach; stop waiting for events.
            if (isNotFound(error) || (isAriError(error) && error.code === 'ari_closed') || ++failedChecks >= MAX_FAILED_CHECKS)
              settle('failed');
            else armGuard();
          },
        );
      }, START_GUARD_MS);
    };
    dispose = ari.onPlayback(id, (event) => {
      if (event.type === 'PlaybackFinished') settle(event.playback.state === 'failed' ? 'failed' : 'done');
    });
    armGuard();
  });
  const request =
    target.kind === 'channel'
      ? ari.rest.channels.play({ channelId: target.id, media, playbackId: id })
      : ari.rest.bridges.play({ bridgeId: target.id, media, playbackId: id });
  request.catch((error: unknown) => {
    if (isNotFound(error)) settle('gone');
    else {
      log.warn({ err: error, media }, 'playback could not start');
      settle('failed');
    }
  });
  return {
    id,
    finished,
    async stop() {
      stopped = true;
      await ignoreGone(ari.rest.playbacks.stop({ playbackId: id }));
    },
    abandon() {
      settle('gone');
    },
  };
}
