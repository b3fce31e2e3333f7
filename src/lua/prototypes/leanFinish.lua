--[[
  leanFinish - drover's own prototype, a measuring aid for issue 15 run by
  bench/redis-cost-breakdown.mjs --lean-prototype. Not embedded (the build reads only the
  top level of src/lua), not used by drover, and not proven to leave the same state as
  BullMQ's moveToFinished (no interop test covers it): the common case of finishing a job
  as completed and fetching the next in the 17 calls that docs/benchmarks.md ("Where
  Redis's CPU per job goes") counts as the floor. Anything uncommon (parent, dedup id,
  children, paused, concurrency or rate limit, a delayed job due) returns -100, where a
  real script would go on to BullMQ's own. drover's real one, proven identical and used by
  the worker, is src/lua/moveToFinishedLean-14.lua (20 calls).

  KEYS: wait, active, events, stalled, delayed, meta, completed, marker
  ARGV: key prefix, job id to finish ("" to only fetch), timestamp, return value, lock
        token, lock duration
]]
local rcall = redis.call
local prefix, jobId, ts = ARGV[1], ARGV[2], ARGV[3]
local meta = rcall("HMGET", KEYS[6], "opts.maxLenEvents", "paused", "concurrency", "max", "duration")
if jobId ~= "" then
  local jobKey = prefix .. jobId
  local f = rcall("HMGET", jobKey, "timestamp", "drover:cancel", "parentKey", "parent", "deid", "atm")
  if not f[1] then return -1 end
  if f[2] then return {"drover:cancel", f[2]} end
  if f[3] or f[4] or f[5] then return -100 end
  if rcall("EXISTS", jobKey .. ":dependencies", jobKey .. ":unsuccessful") ~= 0 then return -100 end
  local lockKey = jobKey .. ":lock"
  local lock = rcall("GET", lockKey)
  if lock ~= ARGV[5] then return lock and -6 or -2 end
  rcall("DEL", lockKey)
  rcall("SREM", KEYS[4], jobId)
  if rcall("LREM", KEYS[2], -1, jobId) < 1 then return -3 end
  rcall("ZADD", KEYS[7], ts, jobId)
  rcall("HSET", jobKey, "atm", (tonumber(f[6]) or 0) + 1, "returnvalue", ARGV[4], "finishedOn", ts)
  rcall("XADD", KEYS[3], "MAXLEN", "~", meta[1] or 10000, "*", "event", "completed", "jobId", jobId,
    "returnvalue", ARGV[4], "prev", "active")
end
if meta[2] or meta[3] or meta[4] then return -100 end
if #rcall("ZRANGEBYSCORE", KEYS[5], 0, (ts + 1) * 0x1000 - 1, "LIMIT", 0, 1) > 0 then return -100 end
local nextId = rcall("RPOPLPUSH", KEYS[1], KEYS[2])
if not nextId then return 0 end
local nextKey = prefix .. nextId
rcall("SET", nextKey .. ":lock", ARGV[5], "PX", ARGV[6])
rcall("XADD", KEYS[3], "*", "event", "active", "jobId", nextId, "prev", "waiting")
local h = rcall("HGETALL", nextKey)
local ats, hasP, hasA = 1, false, false
for i = 1, #h, 2 do
  if h[i] == "ats" then ats = tonumber(h[i + 1]) + 1; h[i + 1] = tostring(ats); hasA = true
  elseif h[i] == "processedOn" then h[i + 1] = ts; hasP = true end
end
if not hasP then h[#h + 1] = "processedOn"; h[#h + 1] = ts end
if not hasA then h[#h + 1] = "ats"; h[#h + 1] = "1" end
rcall("HSET", nextKey, "processedOn", ts, "ats", ats)
rcall("ZADD", KEYS[8], 0, "0")
return {h, nextId, 0, 0}
