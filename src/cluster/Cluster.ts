import type { NodeDrain, NodeLoad } from '../capacity/ports';
import { AppError } from '../lib/errors';
import type { NodeState } from './NodeHealth';

/** What the API lists for each node. */
export interface NodeStatus {
  id: string;
  state: NodeState;
  /** Takes no new callers; its calls go on. */
  draining: boolean;
  /** Connected, reconciled and not draining: new callers are taken. */
  ready: boolean;
  /** Participants who came in on this node. */
  participants: number;
  /** ISO 8601: when `state` last changed. */
  since: string;
  reconnects: number;
}

/** One Asterisk server as the cluster sees it: started and stopped on its own while the app runs. */
export interface ClusterNode {
  readonly id: string;
  status(): NodeStatus;
  drain(): void;
  resume(): void;
  start(): Promise<void>;
  /** Lets go of the node: its callers leave their conferences here, nothing is asked of its Asterisk. */
  stop(reason: string): Promise<void>;
}

/** The nodes this app drives, by id; nodes come and go at run time (a lease, an autoscaler). */
export class Cluster<N extends ClusterNode> implements NodeDrain {
  private readonly members = new Map<string, N>();

  get(id: string): N | undefined {
    return this.members.get(id);
  }

  /** Throws `node_not_found` for an id this app does not drive. */
  require(id: string): N {
    const node = this.members.get(id);
    if (!node) throw new AppError('node_not_found', `no node ${id}`, { field: 'id' });
    return node;
  }

  all(): N[] {
    return [...this.members.values()];
  }

  /** Takes a node in without starting it (the nodes of the config, started with the app). */
  register(node: N): void {
    if (this.members.has(node.id)) throw new AppError('node_exists', `node ${node.id} is already running`, { field: 'id' });
    this.members.set(node.id, node);
  }

  /** Adds and starts a node. */
  async add(node: N): Promise<void> {
    this.register(node);
    await node.start();
  }

  /** Stops a node and forgets it. */
  async remove(id: string, reason: string): Promise<void> {
    const node = this.require(id);
    this.members.delete(id);
    await node.stop(reason);
  }

  list(): NodeStatus[] {
    return this.all().map((n) => n.status());
  }

  nodes(): NodeLoad[] {
    return this.list().map((s) => ({ id: s.id, participants: s.participants, draining: s.draining }));
  }

  drain(id: string): void {
    this.require(id).drain();
  }

  resume(id: string): void {
    this.require(id).resume();
  }

  /** A node that takes callers now, the least busy first (dial-out). */
  pick(): N | undefined {
    const ready = this.all().filter((n) => n.status().ready);
    ready.sort((a, b) => a.status().participants - b.status().participants);
    return ready[0];
  }
}
