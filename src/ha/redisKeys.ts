/** Every key ari-meetme keeps in Redis, in one place: `meetme:<what>:<node>[:<more>]`. */
export const leaseKey = (node: string): string => `meetme:lease:${node}`;
export const fenceKey = (node: string): string => `meetme:fence:${node}`;
export const roomsKey = (node: string): string => `meetme:rooms:${node}`;
export const EVENTS_CHANNEL = 'meetme:events';
export const eventSeqKey = 'meetme:events:seq';
