import type { NodeDrain, NodeLoad } from '../../capacity/ports';

/** The one node this app runs: draining it is the app's own drain (no new callers, conferences go on). */
export function singleNodeDrain(
  nodeId: string,
  manager: { readonly participantCount: number; readonly draining: boolean; drain(): void },
): NodeDrain {
  return {
    nodes: (): NodeLoad[] => [{ id: nodeId, participants: manager.participantCount, draining: manager.draining }],
    drain: (id) => {
      if (id === nodeId) manager.drain();
    },
  };
}
