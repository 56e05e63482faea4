export { MediaEngine, type EngineStats, type MediaEngineOptions } from './MediaEngine';
export { MediaLeg, type LegStats } from './MediaLeg';
export { MediaRoom } from './MediaRoom';
export { MediaThreads, defaultThreadCount, type MediaThreadsOptions, type ThreadReport } from './threads/MediaThreads';
export { RemoteRoom, RemoteLeg } from './threads/RemoteRoom';
