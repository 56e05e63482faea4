/**
 * The lease's Lua scripts: each runs atomically in Redis, so a check and its write can never be split by
 * another instance's. A lease's value is `<instance>:<token>`.
 */

/**
 * Takes a free lease. The token is above every token ever handed out for the node, and at least Redis's clock
 * in milliseconds: a Redis restarted without its data forgets the counter, and the clock keeps the next token
 * above any a running instance still holds. Returns `{1, token}`, or `{0, current holder}`.
 */
export const ACQUIRE = `
local current = redis.call('GET', KEYS[1])
if current then return {0, current} end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local token = math.max(tonumber(redis.call('GET', KEYS[2]) or '0') + 1, now)
redis.call('SET', KEYS[2], token)
redis.call('SET', KEYS[1], ARGV[1] .. ':' .. token, 'PX', ARGV[2])
return {1, token}
`;

/**
 * Keeps the lease for another ttl if it is still ours. A Redis that restarted empty has no lease: it is ours
 * again only if no token above ours was handed out since (the fence), so a standby that took it first wins.
 * Returns 1 (kept) or 0 (lost).
 */
export const RENEW = `
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if current == false and tonumber(redis.call('GET', KEYS[2]) or '0') <= tonumber(ARGV[3]) then
  redis.call('SET', KEYS[2], ARGV[3])
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`;

/** Gives the lease up if it is still ours (a clean stop), so a standby need not wait for it to expire. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
