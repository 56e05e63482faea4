/** Every key ari-meetme keeps in Redis, in one place: `meetme:<what>:<node>[:<more>]`. */
export const leaseKey = (node: string): string => `meetme:lease:${node}`;
export const fenceKey = (node: string): string => `meetme:fence:${node}`;
