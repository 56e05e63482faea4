import type { Clock } from '../lib/clock';
import { errorMessage } from '../lib/errors';
import type { Conference } from './Conference';
import { MenuReader, type MenuAction, type MenuConfig } from './menus';
import type { Participant } from './Participant';
import { stepGain } from './policies';
import type { PromptSet } from './prompts';

/** Wires a participant's digits to the conference: `*` menus, and `#` to leave with option `p`. */
export function attachParticipantMenu(
  conference: Conference,
  participant: Participant,
  menus: MenuConfig,
  prompts: PromptSet,
  clock: Clock,
): () => void {
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
        return conference.remove(participant.id, 'left', { hangup: true });
      case 'toggleLock':
        conference.setLocked(!conference.locked);
        return conference.prompt(participant.id, [conference.locked ? prompts.lockedNow : prompts.unlockedNow]);
      case 'kickLast':
        return conference.kickLast();
      case 'kickAll':
        return conference.kickAll();
      case 'muteAll':
        return conference.setAllMuted(true);
      case 'toggleRecording':
        if (conference.recording) return conference.stopRecording();
        await conference.startRecording();
        return;
    }
  };
  const dispose = participant.caller.events.subscribe('digit', (digit) => {
    if (participant.left) return;
    if (digit === '#' && !reader.open && participant.options.exitHash) {
      void conference.remove(participant.id, 'left', { hangup: true });
      return;
    }
    const outcome = reader.feed(digit);
    if (outcome.kind === 'open' && participant.options.menu) {
      void conference.prompt(participant.id, [participant.admin ? prompts.adminMenu : prompts.userMenu]).catch(() => undefined);
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
