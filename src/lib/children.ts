/**
 * How an owned object says it is gone, one way for all of them (mediasoup's `@close`): the child emits `@close`
 * once, whatever ended it (asked with `close()`, or its backend died under it), and only its owner listens.
 * The `@` marks the event as the owner's business, not the public's.
 */
export interface ClosingEvents {
  '@close': [];
}

/** Anything an owner keeps in `Children`. */
export interface Child {
  readonly events: { subscribe(event: '@close', listener: () => void): () => void };
}

/** The children one owner holds, by key; a child leaves the map on its own `@close`. */
export class Children<K, C extends Child> {
  private readonly map = new Map<K, C>();

  /** Adds a child; `onClose` runs when it closes while still the child held for `key`. */
  add(key: K, child: C, onClose?: () => void): C {
    const dispose = child.events.subscribe('@close', () => {
      dispose();
      if (this.map.get(key) !== child) return;
      this.map.delete(key);
      onClose?.();
    });
    this.map.set(key, child);
    return child;
  }

  get(key: K): C | undefined {
    return this.map.get(key);
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  get size(): number {
    return this.map.size;
  }

  /** A copy: children may close while the owner goes through them. */
  values(): C[] {
    return [...this.map.values()];
  }
}
