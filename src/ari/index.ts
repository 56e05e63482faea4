export { AriClient, type AriClientOptions, type AriStats } from './AriClient';
export { AriError, ignoreGone, isAriError, isNotFound } from './AriError';
export type * from './generated/models';
export type { AriRest } from './generated/operations';
export { probeSessions, type SessionProbeResult } from './sessionProbe';
