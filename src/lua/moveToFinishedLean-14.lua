--[[
  moveToFinishedLean - drover's own script: a worker's completion in fewer Redis calls and
  far less Lua than BullMQ's moveToFinished, for the common case only, with BullMQ's
  script, unchanged, as the fallback inside the same atomic call (the build puts it in
  front as bullmq_moveToFinished, see scripts/embed-lua.mjs). Same KEYS and ARGV as
  moveToFinished (core/scripts/move_to_finished.hpp), behind drover's cancellation
  guard: a cancellation request in the job's hash wins over the outcome, nothing is
  recorded and the reply is {"drover:cancel", <request>}; checked here, in the same
  atomic call, it leaves no window between the check and the record. A request that
  has lapsed (cancelJob-2.lua) is dropped instead.

  The common case is decided from reads only, before anything is written, so that the
  fallback always starts from the state BullMQ's script would have met: target
  "completed" with fetch next, the job exists with no parent, no deduplication id, no
  pending or failed children and no extra fields to write; the lock is ours; keepJobs
  keeps all (no count limit, no age); no metrics; no worker or queue rate limiter; the
  queue is neither paused nor has a concurrency limit; the events stream's max length is
  already in meta; no delayed job is due; and the wait list's tail is a job id (not a
  v4 marker), so the fetch takes it. Then the writes are BullMQ's own, in its order, with
  the same values and events (tests/interop/identity.test.mjs compares both); only the
  finished job's atm, which BullMQ raises with HINCRBY, is written in the same HSET as its
  return value, from the value read first.
]]
-- drover:calls moveToFinished
local rcall = redis.call
local jobKey = KEYS[12]
local job = rcall("HMGET", jobKey, "drover:cancel", "timestamp", "parentKey", "parent", "deid", "atm")
if job[1] then
  -- A request made during an attempt that has since ended (its "atm" is not the job's:
  -- a Node worker ignored it and finished that attempt) has lapsed: dropped, and the
  -- outcome recorded.
  local made = string.match(job[1], '"atm":(%d+)')
  if made == nil or tonumber(made) == (tonumber(job[6]) or 0) then
    return {"drover:cancel", job[1]}
  end
  rcall("HDEL", jobKey, "drover:cancel")
end

local opts
local function common()
  if ARGV[5] ~= "completed" or ARGV[6] ~= "1" or (ARGV[9] and #ARGV[9] > 0) then return false end
  if not job[2] or job[3] or job[4] or job[5] then return false end
  opts = cmsgpack.unpack(ARGV[8])
  -- atm is raised below from its value: only a value HINCRBY takes as it is.
  if job[6] and not (job[6] == "0" or (string.match(job[6], "^[1-9]%d*$") and #job[6] < 15)) then return false end
  local token = opts["token"]
  if type(token) ~= "string" or token == "0" or opts["limiter"] ~= nil or opts["maxMetricsSize"] ~= "" then
    return false
  end
  local keep = opts["keepJobs"]
  if type(keep) ~= "table" or keep["age"] ~= nil or
      (keep["count"] ~= nil and (type(keep["count"]) ~= "number" or keep["count"] >= 0)) then
    return false
  end
  if rcall("EXISTS", jobKey .. ":dependencies", jobKey .. ":unsuccessful") ~= 0 then return false end
  if rcall("GET", jobKey .. ":lock") ~= token then return false end
  return true
end

local meta
local function queueAllowsLean()
  meta = rcall("HMGET", KEYS[9], "opts.maxLenEvents", "paused", "concurrency", "max")
  if not meta[1] or meta[2] or meta[3] or meta[4] then return false end
  local timestamp = ARGV[2]
  if #rcall("ZRANGEBYSCORE", KEYS[7], 0, (timestamp + 1) * 0x1000 - 1, "LIMIT", 0, 1) > 0 then return false end
  local tail = rcall("LINDEX", KEYS[1], -1)
  return tail ~= false and string.sub(tail, 1, 2) ~= "0:"
end

if not (common() and queueAllowsLean()) then
  return bullmq_moveToFinished(KEYS, ARGV)
end

local jobId, timestamp, prefix, token = ARGV[1], ARGV[2], ARGV[7], opts["token"]
local eventStreamKey = KEYS[4]
rcall("DEL", jobKey .. ":lock")
rcall("SREM", KEYS[5], jobId)
if rcall("LREM", KEYS[2], -1, jobId) < 1 then
  return -3
end
rcall("XTRIM", eventStreamKey, "MAXLEN", "~", meta[1])
rcall("ZADD", KEYS[11], timestamp, jobId)
rcall("HSET", jobKey, "atm", tostring((tonumber(job[6]) or 0) + 1), ARGV[3], ARGV[4], "finishedOn", timestamp)
rcall("XADD", eventStreamKey, "*", "event", ARGV[5], "jobId", jobId, ARGV[3], ARGV[4], "prev", "active")

local nextId = rcall("RPOPLPUSH", KEYS[1], KEYS[2])
local nextKey = prefix .. nextId
rcall("SET", nextKey .. ":lock", token, "PX", opts["lockDuration"])
local processedBy = {}
if opts["name"] then
  processedBy = {"pb", opts["name"]}
end
rcall("XADD", eventStreamKey, "*", "event", "active", "jobId", nextId, "prev", "waiting")
rcall("HMSET", nextKey, "processedOn", timestamp, unpack(processedBy))
rcall("HINCRBY", nextKey, "ats", 1)
rcall("ZADD", KEYS[14], 0, "0")
return {rcall("HGETALL", nextKey), nextId, 0, 0}
