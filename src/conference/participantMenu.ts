import { errorMessage } from '../lib/errors';
import { participantCount } from './announcements';
import type { Conference } from './Conference';
import type { ConferenceSettings } from './membership';
import { MenuReader, type MenuAction } from './menus';
import { kickAll, kickLast, setAllMuted } from './moderation';
import type { Participant } from './Participant';
import { stepGain } from './policies';
import { armTimeLimit, type LimitActions } from './timeLimits';

/** `X` exits on these digits unless the conference names its own (`callerFlow.exitDigits`). */
const EXIT_DIGITS = '0123456789';

/** What follows a participant while they are in: their hangup, their digits, their time limit. Returns the release. */
export function watchMember(
  conference: Conference,
  participant: Participant,
  settings: ConferenceSettings,
  on: LimitActions & { gone(reason?: string): void },
): () => void {
  const disposers = [
    participant.caller.events.subscribe('gone', (reason) => on.gone(reason)),
    attachParticipantMenu(conference, participant, settings),
    armTimeLimit(settings.clock, participant.options, settings.prompts, settings.flow, on),
  ];
  return () => disposers.forEach((dispose) => dispose());
}

/**
 * Wires a participant's digits to the conference: `*` menus, `#` to leave with option `p`, and with `X` a digit to
 * leave for that extension of the exit context.
 */
export function attachParticipantMenu(conference: Conference, participant: Participant, settings: ConferenceSettings): () => void {
  const { menus, prompts, clock, flow } = settings;
  const reader = new MenuReader(participant.admin ? menus.admin : menus.user, menus.timeoutMs, clock);
  const log = conference.log.child({ channel: participant.caller.channelId });
  const run = async (action: MenuAction): Promise<void> => {
    switch (action) {
      case 'toggleMute':
        if (participant.options.listenOnly) return;
        return conference.setMuted(participant.id, !participant.muted, true);
      case 'listenDown':
      case 'listenUp':
        return conference.setGain(participant.id, { listen: stepGain(participant.listenGain, action === 'listenUp' ? 1 : -1) });
      case 'talkDown':
      case 'talkUp':
        return conference.setGain(participant.id, { talk: stepGain(participant.talkGain, action === 'talkUp' ? 1 : -1) });
      case 'leave':
        // ConfBridge's leave_conference: out of the conference, on in the dialplan (CONFBRIDGE_RESULT=DTMF).
        return conference.remove(participant.id, 'left', { continueTo: {} });
      case 'toggleLock':
        conference.setLocked(!conference.locked);
        return conference.prompt(participant.id, [conference.locked ? prompts.lockedNow : prompts.unlockedNow]);
      case 'kickLast':
        return kickLast(conference);
      case 'kickAll':
        return kickAll(conference);
      case 'muteAll':
        return setAllMuted(conference, true);
      case 'toggleRecording':
        if (conference.recording.name) return conference.recording.stop();
        await conference.recording.start();
        return;
      case 'toggleRecordingPause':
        return conference.recording.pause(!conference.recording.paused);
      case 'participantCount':
        return conference.prompt(participant.id, participantCount(prompts, conference.size - 1));
    }
  };
  const exitDigits = flow.exitDigits ?? EXIT_DIGITS;
  const dispose = participant.caller.events.subscribe('digit', (digit) => {
    if (participant.left) return;
    if (digit === '#' && !reader.open && participant.options.exitHash) {
      // app_meetme: `p` sets MEETME_EXIT_KEY and returns 0, so the dialplan goes on at the next priority.
      void conference.remove(participant.id, 'left', { continueTo: {}, variables: { MEETME_EXIT_KEY: digit } });
      return;
    }
    if (participant.options.exitContext && !reader.open && digit !== '*' && exitDigits.includes(digit)) {
      const to = { extension: digit, priority: 1, ...(flow.exitContext !== undefined ? { context: flow.exitContext } : {}) };
      log.info({ digit, context: flow.exitContext ?? '(own)' }, 'leaving for the exit context');
      void conference.remove(participant.id, 'exit digit', { continueTo: to });
      return;
    }
    const outcome = reader.feed(digit);
    if (outcome.kind === 'open' && participant.options.menu) {
      const menu = conference.prompt(participant.id, [participant.admin ? prompts.adminMenu : prompts.userMenu]).catch(() => undefined);
      reader.holdWhile(menu);
    } else if (outcome.kind === 'action') {
      log.info({ action: outcome.action }, 'menu action');
      run(outcome.action).catch((error: unknown) => log.warn({ action: outcome.action, err: errorMessage(error) }, 'menu action failed'));
    }
  });
  return () => {
    dispose();
    reader.reset();
  };
}
