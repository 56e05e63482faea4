import { EventEmitter } from 'node:events';

/** Listener signature for one entry of an event map. */
export type Listener<A extends unknown[]> = (...args: A) => void;

/** Called when a listener throws inside safeEmit; set once by the app to log it. */
export type ListenerErrorSink = (error: unknown, event: string) => void;

let listenerErrorSink: ListenerErrorSink = (error, event) => {
  process.emitWarning(`listener for "${event}" threw: ${String(error)}`);
};

export function setListenerErrorSink(sink: ListenerErrorSink): void {
  listenerErrorSink = sink;
}

/**
 * EventEmitter with a declared event map. `safeEmit` isolates listeners: one that throws
 * is reported and the others still run, so a bad subscriber can never stop the mixer or a call.
 */
export class TypedEmitter<E extends { [K in keyof E]: unknown[] }> {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  on<K extends keyof E & string>(event: K, listener: Listener<E[K]>): this {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends keyof E & string>(event: K, listener: Listener<E[K]>): this {
    this.emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof E & string>(event: K, listener: Listener<E[K]>): this {
    this.emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** Subscribes and returns the function that unsubscribes. */
  subscribe<K extends keyof E & string>(event: K, listener: Listener<E[K]>): () => void {
    this.on(event, listener);
    return () => this.off(event, listener);
  }

  listenerCount<K extends keyof E & string>(event: K): number {
    return this.emitter.listenerCount(event);
  }

  removeAllListeners(): void {
    this.emitter.removeAllListeners();
  }

  safeEmit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    const listeners = this.emitter.listeners(event) as Listener<E[K]>[];
    for (const listener of listeners) {
      try {
        listener(...args);
      } catch (error) {
        listenerErrorSink(error, event);
      }
    }
    return listeners.length > 0;
  }
}
