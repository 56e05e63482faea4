/**
 * The event fan-out's Lua scripts. Numbering, storing the conference's state and publishing run as one step,
 * so every instance receives each conference's events in the order of their numbers, and the stored state
 * always carries the number of the last event it includes.
 */

/**
 * KEYS: the conference's seq key, its state key. ARGV: channel, the message (a JSON object, without `seq`),
 * `set` (store the message as the state) or `del` (the conference ended), the state's ttl in ms, the step
 * (2 after a publish that failed, so the numbers show the event lost), the last number this instance knows the
 * conference had (a Redis restarted empty forgot the counter: the numbering goes on above it). Returns the event's number.
 */
export const PUBLISH_EVENT = `
local seq = redis.call('INCRBY', KEYS[1], ARGV[5])
local floor = tonumber(ARGV[6]) + tonumber(ARGV[5])
if seq < floor then
  seq = floor
  redis.call('SET', KEYS[1], seq)
end
local text = '{"seq":' .. seq .. ',' .. string.sub(ARGV[2], 2)
if ARGV[3] == 'set' then redis.call('SET', KEYS[2], text, 'PX', ARGV[4]) else redis.call('DEL', KEYS[2]) end
redis.call('PUBLISH', ARGV[1], text)
return seq
`;

/**
 * The holder keeps its conferences' states alive (KEYS); a state another instance wrote since is left alone.
 * Returns the positions (from 1) of the states that are missing (a Redis restarted empty): RESTORE_STATE writes them back.
 */
export const KEEP_STATES = `
local missing = {}
for i, key in ipairs(KEYS) do
  local text = redis.call('GET', key)
  if not text then
    table.insert(missing, i)
  elseif string.find(text, ARGV[1], 1, true) then
    redis.call('PEXPIRE', key, ARGV[2])
  end
end
return missing
`;

/**
 * Writes back a conference's state and its counter that a Redis restarted empty forgot, so the other instances list
 * it as it is now and its numbering goes on, only while the claim is this instance's and nobody numbered above it.
 * KEYS: the state key, the seq key, the claim key. ARGV: the message (JSON, without `seq`), its number, the instance,
 * the state's ttl in ms. Returns the number, or 0 when nothing was written.
 */
export const RESTORE_STATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local claim = redis.call('GET', KEYS[3])
if not claim or cjson.decode(claim).instance ~= ARGV[3] then return 0 end
local seq = tonumber(ARGV[2])
if tonumber(redis.call('GET', KEYS[2]) or '0') > seq then return 0 end
redis.call('SET', KEYS[2], seq)
redis.call('SET', KEYS[1], '{"seq":' .. seq .. ',' .. string.sub(ARGV[1], 2), 'PX', ARGV[4])
return seq
`;

/**
 * Ends, on every stream, a conference whose holder died with no standby to take it: its state expired, nobody
 * published for it since, and its claim (ConferenceClaims) is dead: a live holder whose state a restarted Redis
 * forgot keeps its conference. Runs on whichever instance notices first; the unchanged number makes it happen once.
 * KEYS: the state key, the seq key, the claim key. ARGV: channel, the message (JSON, without `seq`), the number
 * of the last event seen, the lease key prefix, `wait` (while the claim's node is leased: a standby may be
 * adopting it) or `force`. Returns the event's number, or 0 when it was not published.
 */
export const END_ORPHANED = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[3] then return 0 end
local claim = redis.call('GET', KEYS[3])
if claim then
  local c = cjson.decode(claim)
  local lease = redis.call('GET', ARGV[4] .. c.node)
  if lease == c.instance .. ':' .. c.token then return 0 end
  if lease and ARGV[5] == 'wait' then return 0 end
end
local seq = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[1], '{"seq":' .. seq .. ',' .. string.sub(ARGV[2], 2))
if claim then redis.call('DEL', KEYS[3]) end
return seq
`;
