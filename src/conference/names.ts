import { randomUUID } from 'node:crypto';
import type { CallerPort, ClipStore, MediaUri } from './ports';
import type { PromptSet } from './prompts';

/** app_meetme records a name for at most 10 s. */
const NAME_SECONDS = 10;
/** ast_record_review: three unanswered reviews keep what was recorded. */
const REVIEW_TRIES = 3;

export interface NameRecording {
  caller: CallerPort;
  prompts: PromptSet;
  clips: ClipStore;
  number: string;
  /** `i`: the caller may hear it back and record it again. */
  review: boolean;
  digitTimeoutMs: number;
}

/**
 * Records a caller's name before they join, as app_meetme's `I` (ast_play_and_record) and `i` (ast_record_review:
 * 1 keeps it, 2 plays it back, 3 records it again; app_meetme.c conf_run, 22.10.1). Resolves with the clip as it plays (`recording:<name>`), or
 * undefined when the caller hung up meanwhile (what was recorded is deleted) or cannot be recorded.
 */
export async function recordName(request: NameRecording): Promise<MediaUri | undefined> {
  const { caller, prompts, clips } = request;
  if (!caller.record) return undefined;
  const name = `meetme-name-${request.number}-${randomUUID()}`;
  const clip = `recording:${name}`;
  const gone = async (): Promise<undefined> => {
    await clips.discard(name, caller.nodeId).catch(() => undefined);
    return undefined;
  };
  const record = async (): Promise<boolean> => {
    if ((await caller.play([prompts.recordName])) === 'hangup') return false;
    return (await caller.record!({ name, maxSeconds: NAME_SECONDS, terminateOn: '#' })) === 'done' && !caller.gone;
  };
  // A failed recording (or a hangup) keeps nothing: the caller, if still there, joins unannounced.
  if (!(await record())) return gone();
  if (request.review) {
    for (let unanswered = 0; unanswered < REVIEW_TRIES;) {
      const choice = await caller.collect({
        prompts: [prompts.reviewName],
        maxDigits: 1,
        terminators: '',
        timeoutMs: request.digitTimeoutMs,
      });
      if (choice.reason === 'hangup' || caller.gone) return gone();
      if (choice.digits === '1') {
        await caller.play([prompts.nameSaved]);
        break;
      }
      if (choice.digits === '2') await caller.play([clip]);
      else if (choice.digits === '3') {
        if (!(await record())) return gone();
      } else if (choice.digits === '') unanswered++;
    }
    if (caller.gone) return gone();
  }
  try {
    await clips.keep(name, caller.nodeId);
  } catch {
    // The name cannot be said to anyone: the caller still joins, unannounced.
    await clips.discard(name, caller.nodeId).catch(() => undefined);
    return undefined;
  }
  return clip;
}
