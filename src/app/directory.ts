import type { StaticConference } from '../config/schema';
import type { ConferenceDefinition } from '../conference/ports';

export function staticDefinition(c: StaticConference): ConferenceDefinition {
  return {
    number: c.number,
    name: c.name ?? c.number,
    options: c.options,
    static: true,
    ...(c.pin !== undefined ? { pin: c.pin } : {}),
    ...(c.adminPin !== undefined ? { adminPin: c.adminPin } : {}),
    ...(c.maxMembers !== undefined ? { maxMembers: c.maxMembers } : {}),
    ...(c.mixer !== undefined ? { mixer: c.mixer } : {}),
    ...(c.recording !== undefined ? { recording: c.recording } : {}),
  };
}
