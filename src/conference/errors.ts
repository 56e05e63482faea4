import { AppError } from '../lib/errors';

export const conferenceNotFound = (number: string): AppError =>
  new AppError('conference_not_found', `no live conference ${number}`, { number });

export const participantNotFound = (number: string, participantId: string): AppError =>
  new AppError('participant_not_found', `no participant ${participantId} in conference ${number}`, { number, participantId });
