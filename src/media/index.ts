export { MediaEngine, monotonicNow, type EngineStats, type MediaEngineOptions } from './MediaEngine';
export { MediaLeg, type LegGain, type LegStats } from './MediaLeg';
export { MediaRoom } from './MediaRoom';
export { MediaThreads, MAX_DEFAULT_THREADS, defaultThreadCount, type MediaThreadsOptions, type ThreadReport } from './threads/MediaThreads';
export { RemoteRoom, RemoteLeg } from './threads/RemoteRoom';
export { DEFAULT_AUDIO, type RoomAudio } from './voice';
export { DEFAULT_TALK, type TalkSettings } from './TalkDetector';
export type { Codec } from './MediaLeg';
export { DEFAULT_TELEPHONE_EVENT_PT, DtmfReceiver, parseTelephoneEvent, type Digit, type TelephoneEvent } from './dtmf';
