/** Every key ari-meetme keeps in Redis, in one place: `meetme:<what>:<node>[:<more>]`. */
export const leaseKey = (node: string): string => `meetme:lease:${node}`;
export const fenceKey = (node: string): string => `meetme:fence:${node}`;
/** A live conference's last state, as its holder published it (with the holder and its API address). */
export const conferenceKey = (number: string): string => `meetme:conference:${number}`;
/** The number of a conference's last event: INCR by whoever holds it, so a new holder continues the numbering. */
export const conferenceSeqKey = (number: string): string => `meetme:seq:${number}`;
/** Where an instance's API is reached (its `HA_API_URL`), kept by it while it holds a lease: requests for its node go there. */
export const apiKey = (instance: string): string => `meetme:api:${instance}`;
/** The pub/sub channel every holder publishes its conferences' events on. */
export const EVENTS_CHANNEL = 'meetme:events';
/** Which instance holds a conference (one holder per number across instances): JSON, see claimScripts.ts. */
export const claimKey = (number: string): string => `meetme:claim:${number}`;
/** When this Redis first saw a claim (Redis TIME, ms): new claims wait a ttl after a restart, for holders to re-assert. */
export const CLAIMS_SINCE_KEY = 'meetme:claims:since';
