--[[
  token_bucket.lua - drover's own script (not BullMQ's), run by the API's rate limiter
  (apps/api/rate_limiter.cpp) through redis_client::eval.

  Takes `cost` tokens from every bucket in KEYS, or from none of them: a request limited
  per user and per client address spends from both only when both allow it. The clock is
  Redis's TIME, so that every API process agrees on it.

  KEYS: one hash per bucket {tokens, ts (ms)}.
  ARGV: cost, then per key: capacity (burst), refill rate (tokens per second).
  Returns {allowed (1|0), retry after (ms, 0 when allowed)}.
  A bucket not touched for as long as it takes to refill expires (PEXPIRE): a full
  bucket and a missing one are the same.
]]
-- Redis < 7 replicates scripts verbatim unless told to replicate their effects, and a
-- script that reads TIME must not be replayed verbatim.
if redis.replicate_commands then redis.replicate_commands() end

local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cost = tonumber(ARGV[1])

local tokens, capacities, rates = {}, {}, {}
local wait = 0
for i, key in ipairs(KEYS) do
  local capacity = tonumber(ARGV[2 * i])
  local rate = tonumber(ARGV[2 * i + 1])
  local state = redis.call('HMGET', key, 'tokens', 'ts')
  local have, ts = tonumber(state[1]), tonumber(state[2])
  if have == nil or ts == nil then
    have = capacity
  elseif now > ts then
    have = math.min(capacity, have + (now - ts) * rate / 1000)
  end
  if have < cost then
    wait = math.max(wait, math.ceil((cost - have) * 1000 / rate))
  end
  tokens[i], capacities[i], rates[i] = have, capacity, rate
end

if wait > 0 then return {0, wait} end

for i, key in ipairs(KEYS) do
  redis.call('HSET', key, 'tokens', tostring(tokens[i] - cost), 'ts', now)
  redis.call('PEXPIRE', key, math.ceil(capacities[i] * 1000 / rates[i]) + 1000)
end
return {1, 0}
