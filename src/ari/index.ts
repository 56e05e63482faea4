export { AriClient, type AriClientOptions, type AriStats } from './AriClient';
export { AriError, ignoreGone, isAriError, isNotFound } from './AriError';
export type * from './generated/models';
export type { AriRest } from './generated/operations';
import type { AriEvent, AriEventType } from './generated/models';

/** The event of one type: `EventOf<'StasisStart'>`. */
export type EventOf<T extends AriEventType> = Extract<AriEvent, { type: T }>;
