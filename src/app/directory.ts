import type { StaticConference } from '../config/schema';
import type { ConferenceDefinition } from '../conference/ports';

export function staticDefinition(c: StaticConference): ConferenceDefinition {
  return { ...c, name: c.name ?? c.number, static: true };
}
