/** What /readyz says of the instances: which instance is active for each node, as Redis last said. */
export interface HaStatus {
  instance: string;
  role: 'active' | 'standby';
  nodes: { node: string; active: string | null; token: number | null }[];
}
