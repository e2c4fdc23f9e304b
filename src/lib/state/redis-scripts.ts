/**
 * Lua scripts for the Redis StateStore. A script runs atomically on the server (no other
 * command interleaves), which is what makes each multi-step operation one atomic decision.
 * Windows and buckets read the server's TIME so replicas with skewed clocks agree; Redis 5+
 * replicates script effects, so calling TIME before writing is allowed.
 *
 * The steps mirror `algorithms.ts`; the shared contract suite holds both to the same results.
 * All keys arrive in KEYS (already prefixed); all numbers arrive as decimal strings.
 */

/** KEYS[1] counter; ARGV by, ttlMs. TTL only when the key has none (new counter). */
export const INCREMENT = `
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return v
`;

/**
 * KEYS[1]; ARGV hasExpected('1'|'0'), expected, hasNext('1'|'0'), next, ttlMs ('' = none).
 * Returns 1 when swapped. GET yields false for an absent key.
 */
export const COMPARE_AND_SWAP = `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if current ~= ARGV[2] then return 0 end
elseif current then
  return 0
end
if ARGV[3] == '1' then
  if ARGV[5] ~= '' then
    redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5])
  else
    redis.call('SET', KEYS[1], ARGV[4])
  end
else
  redis.call('DEL', KEYS[1])
end
return 1
`;

/**
 * KEYS[1] sorted set of hits (score = ms); ARGV windowMs, limit.
 * Returns { allowed 0|1, count, resetMs }. Members are "<sec>.<usec>-<count>", unique because
 * scripts run one at a time and the count grows with every hit recorded at the same instant.
 */
export const SLIDING_WINDOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local allowed = 0
if count < limit then
  redis.call('ZADD', KEYS[1], now, t[1] .. '.' .. t[2] .. '-' .. count)
  redis.call('PEXPIRE', KEYS[1], window)
  count = count + 1
  allowed = 1
end
local reset = 0
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if oldest[2] then
  reset = math.max(0, tonumber(oldest[2]) + window - now)
end
return { allowed, count, reset }
`;

/**
 * KEYS[1] hash { tokens, ts }; ARGV capacity, refillPerSecond, cost.
 * Returns { allowed 0|1, remaining, retryAfterMs }. The hash expires when the bucket would be
 * full again, at which point a fresh (full) bucket is equivalent.
 */
export const TAKE_TOKEN = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local capacity = tonumber(ARGV[1])
local refill = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = capacity
if state[1] and state[2] then
  local elapsed = math.max(0, now - tonumber(state[2]))
  tokens = math.min(capacity, tonumber(state[1]) + elapsed * refill / 1000)
end
local allowed = 0
local retry = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retry = math.ceil((cost - tokens) * 1000 / refill)
end
local ttl = math.ceil((capacity - tokens) * 1000 / refill)
if ttl > 0 then
  redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%.17g', now))
  redis.call('PEXPIRE', KEYS[1], ttl)
else
  redis.call('DEL', KEYS[1])
end
return { allowed, math.floor(tokens), retry }
`;
