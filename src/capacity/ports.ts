/** What the capacity runner needs from the outside: the nodes it may drain, and the hook that scales. */

export interface NodeLoad {
  id: string;
  participants: number;
  draining: boolean;
}

/**
 * "Drain node X": the node takes no new callers; its conferences go on until they end. One app on one node
 * drains itself (its SIGTERM drain); the multi-node code drains one node of many.
 */
export interface NodeDrain {
  nodes(): NodeLoad[];
  drain(nodeId: string): void;
}

export type ScaleDirection = 'up' | 'down' | 'set';

/** What the hook is told at a planned action: `set` is the first run after start, when the running count is unknown. */
export interface ScaleRequest {
  at: number;
  direction: ScaleDirection;
  /** Nodes asked for before, null at the first run. */
  previousNodes: number | null;
  desiredNodes: number;
  /** Nodes drained for this scale-in: the ones to remove. */
  drainedNodes: string[];
  reason: string;
}

export interface HookOutcome {
  ok: boolean;
  /** Exit status or HTTP status, and the end of what it printed. */
  detail: string;
}

/** A command or webhook that makes the node count what the plan wants (an autoscaler, a cloud CLI). */
export interface ScaleHook {
  readonly kind: 'command' | 'webhook';
  run(request: ScaleRequest): Promise<HookOutcome>;
}
