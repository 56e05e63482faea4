export { MediaEngine, type EngineStats, type MediaEngineOptions } from './MediaEngine';
export { MediaLeg, type LegStats } from './MediaLeg';
export { MediaRoom } from './MediaRoom';
