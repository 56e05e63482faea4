import type { Logger } from '../lib/logger';
import type { AriEvent } from './generated/models';

export type EventHandler = (event: AriEvent) => void;

/** Routes events by the id of what they concern; each registration returns its own disposer. */
export class EventRouter {
  private readonly routes = new Map<string, Set<EventHandler>>();

  constructor(private readonly log: Logger) {}

  add(key: string, handler: EventHandler): () => void {
    let set = this.routes.get(key);
    if (!set) {
      set = new Set();
      this.routes.set(key, set);
    }
    // A distinct wrapper per registration, so registering one function twice disposes independently.
    const entry: EventHandler = (event) => handler(event);
    set.add(entry);
    return () => {
      const current = this.routes.get(key);
      if (!current) return;
      current.delete(entry);
      if (current.size === 0) this.routes.delete(key);
    };
  }

  dispatch(key: string, event: AriEvent): void {
    const set = this.routes.get(key);
    if (!set) return;
    for (const handler of [...set]) {
      try {
        handler(event);
      } catch (error) {
        this.log.error({ err: error, event: event.type }, 'event handler threw');
      }
    }
  }

  get size(): number {
    return this.routes.size;
  }
}
