import type { MixerBackend } from '../conference/ports';
import { AppError } from '../lib/errors';

/**
 * One holder per conference across instances (src/ha/ConferenceClaims.ts): what the app asks before it takes a
 * caller into a conference, adopts one, or opens one. Without it (one instance) every conference is this app's.
 */
export interface ConferenceClaimPort {
  /** Takes `number` for this instance, or says which instance holds it and how to reach it. */
  claim(number: string): Promise<ClaimAnswer>;
}

export type ClaimAnswer =
  | { held: true }
  /** `holder` undefined: nobody could be asked (Redis unreachable, this instance holds no lease). */
  | { held: false; holder: string | undefined; redirectUri: string | undefined };

/** A mixer that opens a conference only once this instance holds its claim: never two holders of one number. */
export function claimedBackend(backend: MixerBackend, claims: ConferenceClaimPort): MixerBackend {
  return {
    kind: backend.kind,
    availability: () => backend.availability(),
    open: async (spec) => {
      const answer = await claims.claim(spec.number);
      if (!answer.held)
        throw new AppError(
          'conference_elsewhere',
          `conference ${spec.number} is held by ${answer.holder === undefined ? 'no instance that can be reached' : `instance ${answer.holder}`}`,
          { number: spec.number, holder: answer.holder },
        );
      return backend.open(spec);
    },
  };
}
