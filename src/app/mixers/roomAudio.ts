import type { MediaSettings } from '../../conference/mediaSettings';
import { DEFAULT_AUDIO, DEFAULT_TALK, type RoomAudio } from '../../media';

/** A conference's media settings as the media engine's numbers; what is not set takes the engine's default. */
export function roomAudio(settings: MediaSettings | undefined): RoomAudio {
  if (!settings) return DEFAULT_AUDIO;
  return {
    talk: {
      threshold: settings.talkingThreshold ?? DEFAULT_TALK.threshold,
      silenceMs: settings.silenceThresholdMs ?? DEFAULT_TALK.silenceMs,
    },
    energyLevel: settings.energyLevel ?? DEFAULT_AUDIO.energyLevel,
    autoGainLevel: settings.autoGainLevel ?? DEFAULT_AUDIO.autoGainLevel,
    denoise: settings.denoise ?? DEFAULT_AUDIO.denoise,
  };
}
