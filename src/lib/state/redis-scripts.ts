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
 * KEYS[1] string; ARGV capacity, intervalMs (ms per token), cost. The GCRA form of
 * `decideTokenBucket`, with the server's clock read through the key's own expiry instead of
 * TIME (cheaper): the key expires exactly when the bucket is full again, so its PTTL is the
 * time still owed, in whole ms, and its value is what the ceiling to whole ms added (in [0, 1)).
 * A missing key is a full bucket. Redis measures PTTL against the same clock on every replica,
 * and keys cannot expire in the middle of a script. Returns remaining (an integer) when
 * allowed, { remaining, retryAfterMs } when refused: the common answer is the cheapest reply
 * to send and parse. Numbers passed to redis.call are formatted by Redis with 17 significant
 * digits, so the fraction survives.
 */
export const TAKE_TOKEN = `
local capacity = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local excess = redis.call('GET', KEYS[1])
local owed = 0
if excess then
  owed = redis.call('PTTL', KEYS[1]) - tonumber(excess)
  if owed < 0 then owed = 0 end
end
local tokens = math.floor((capacity - owed / interval) * 1e9 + 0.5) / 1e9
if tokens >= cost then
  owed = owed + cost * interval
  local ttl = math.max(1, math.ceil(owed))
  redis.call('SET', KEYS[1], ttl - owed, 'PX', ttl)
  return math.floor(tokens - cost)
end
return { math.floor(tokens), math.ceil((cost - tokens) * interval) }
`;
