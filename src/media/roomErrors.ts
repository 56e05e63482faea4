import { AppError } from '../lib/errors';

/** The errors a room answers with, the same whether it mixes here or on a media thread. */
export const roomErrors = {
  unsupportedCodec: (codec: string) => new AppError('unsupported_codec', `codec ${codec} is not supported by the app mixer (u-law only)`),
  duplicateLeg: (participantId: string) => new AppError('duplicate_leg', `participant ${participantId} already has a leg`),
  legNotFound: (participantId: string) => new AppError('participant_not_found', `no media leg for ${participantId}`),
  alreadyRecording: () => new AppError('already_recording', 'the room is already being recorded'),
  notRecording: () => new AppError('not_recording', 'the room is not being recorded'),
};
