import { AppError } from '../lib/errors';
import type { Conference } from './Conference';

/** Group actions of admins and moderators: on everyone who is not an admin, all at once. */

export async function setAllMuted(conference: Conference, muted: boolean): Promise<void> {
  const targets = conference.participants().filter((m) => !m.admin && !(m.options.listenOnly && !muted));
  await Promise.all(targets.map((p) => conference.setMuted(p.id, muted)));
}

export async function kickLast(conference: Conference): Promise<void> {
  const last = conference
    .participants()
    .filter((p) => !p.admin)
    .sort((a, b) => b.joinedAt - a.joinedAt)[0];
  if (!last) throw new AppError('participant_not_found', `nobody to kick in conference ${conference.number}`);
  await conference.kick(last.id);
}

export async function kickAll(conference: Conference): Promise<void> {
  await Promise.all(
    conference
      .participants()
      .filter((m) => !m.admin)
      .map((p) => conference.kick(p.id)),
  );
}
