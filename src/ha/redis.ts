import { Redis } from 'ioredis';

/**
 * A Redis connection for the lease and the event fan-out. Commands never wait for a connection (no offline
 * queue, no retries) and time out quickly: a lease that cannot be confirmed in time must fail, not hang.
 * Reconnects every 200 ms; what was lost is logged once by whoever needed it (NodeLease).
 */
export function connectRedis(url: string, commandTimeoutMs: number): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: commandTimeoutMs * 2,
    retryStrategy: () => 200,
  });
  // ioredis reports every failed reconnect as an error event; the lease logs the outage once instead.
  redis.on('error', () => undefined);
  return redis;
}

/** The pub/sub side: a connection of its own (a subscribed connection runs no other command), resubscribed on reconnect. */
export function connectSubscriber(url: string): Redis {
  const redis = new Redis(url, { retryStrategy: () => 200, maxRetriesPerRequest: null });
  redis.on('error', () => undefined);
  return redis;
}
