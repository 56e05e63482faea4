/**
 * A conference's media settings (the app mixer's): as ConfBridge and FreeSWITCH name them, in their units. The
 * app maps them to the media engine's numbers; an unset field takes the engine's default.
 */
import { z } from 'zod';

export const mediaSettingsSchema = z.strictObject({
  /** ConfBridge `dsp_talking_threshold`: the average magnitude (16-bit samples) that counts as talking. */
  talkingThreshold: z.number().int().min(1).max(32767).optional(),
  /** ConfBridge `dsp_silence_threshold`: milliseconds of silence before a talker has stopped. */
  silenceThresholdMs: z.number().int().min(20).max(60000).optional(),
  /** FreeSWITCH `energy-level`: callers quieter than this magnitude are not mixed (0: off). */
  energyLevel: z.number().int().min(0).max(32767).optional(),
  /** FreeSWITCH `auto-gain-level`: talkers are brought towards this magnitude (0: off). */
  autoGainLevel: z.number().int().min(0).max(32767).optional(),
  /** Noise suppression of each caller before the mix. */
  denoise: z.boolean().optional(),
  /** Record each participant's own audio to their own file from their join (as well as the mix, if recorded). */
  recordParticipants: z.boolean().optional(),
  /** G.722 legs for callers whose channel speaks G.722; the mix is then 16 kHz. */
  wideband: z.boolean().optional(),
});

export type MediaSettings = z.output<typeof mediaSettingsSchema>;
