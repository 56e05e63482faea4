/**
 * The conference claim's Lua scripts. A claim is `{"instance","node","token","redirect"}`: the instance that holds
 * the conference, anchored on one of its node leases (`meetme:lease:<node>` = `<instance>:<token>`). It is live
 * exactly while that lease is, so it lapses with its holder's lease, with no timer of its own: whoever takes the
 * holder's node finds it dead and takes it. The anchor's lease key is read from the claim itself (not in KEYS):
 * fine on one Redis, not on Redis Cluster, which ari-meetme does not use.
 */

/**
 * Takes a conference, or confirms (re-anchors) ours. KEYS: the claim, CLAIMS_SINCE_KEY, our anchor lease.
 * ARGV: the claim (JSON), our instance, our anchor lease's value, the lease key prefix, the settle time in ms
 * (a new claim waits this long after Redis first saw a claim: a restarted Redis forgot every claim, and the holders
 * re-assert theirs within it), how long the key is kept (ms), `new` or `assert` (a conference we run already).
 * Returns `{1, ''}` (ours), `{0, holder's claim}`, `{0, ''}` (our own lease is not current) or `{2, ''}` (settling).
 */
export const CLAIM = `
if redis.call('GET', KEYS[3]) ~= ARGV[3] then return {0, ''} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local since = tonumber(redis.call('GET', KEYS[2]) or '0')
if since == 0 then
  since = now
  redis.call('SET', KEYS[2], now)
end
local current = redis.call('GET', KEYS[1])
if current then
  local c = cjson.decode(current)
  if c.instance ~= ARGV[2] and redis.call('GET', ARGV[4] .. c.node) == c.instance .. ':' .. tostring(c.token) then
    return {0, current}
  end
elseif ARGV[7] == 'new' and now - since < tonumber(ARGV[5]) then
  return {2, ''}
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[6])
return {1, ''}
`;

/** Lets a conference go (it ended here) if the claim is still exactly ours. KEYS: the claim. ARGV: our claim. */
export const RELEASE_CLAIM = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;
