--[[
  addStandardJobLean - drover's own script: a standard add (not delayed, not prioritized)
  in less Lua than BullMQ's addStandardJob, for the common case only, with BullMQ's
  script, unchanged, as the fallback inside the same atomic call (the build puts it in
  front as bullmq_addStandardJob, see scripts/embed-lua.mjs). Same KEYS as addStandardJob
  (core/scripts/add_standard_job_lean.hpp); ARGV[1..3] are addStandardJob's, followed by
  what the common case needs without unpacking them:
    ARGV[4] the stored options as JSON, byte for byte the text cjson.encode makes of
            ARGV[3] unpacked (core/lua_json.hpp), or "" when the producer cannot vouch
            for that or the job is not common (a parent, deduplication, a delay or
            priority): then BullMQ's script adds it
    ARGV[5] the key prefix, ARGV[6] the custom id or "", ARGV[7] the name,
    ARGV[8] the timestamp, ARGV[9] "1" for lifo

  The common case is decided from reads only, before anything is written, so that the
  fallback starts from the state BullMQ's script would have met: the JSON is given, the
  queue's meta already has the events stream's max length, and a custom id names no
  existing job. Then the writes are BullMQ's own, in its order, with the same values and
  events (tests/interop/identity.test.mjs compares both): the id counter is raised (for a
  custom id too), the job hash gets name, data, opts, timestamp, delay and priority, the
  "added" event, the id is pushed onto wait (RPUSH for lifo), the marker is set unless the
  queue is paused or at its global concurrency, and the "waiting" event trims the stream.
]]
-- drover:calls addStandardJob
local rcall = redis.call
local optsJson = ARGV[4]
if not optsJson or optsJson == "" then
  return bullmq_addStandardJob(KEYS, ARGV)
end

local meta = rcall("HMGET", KEYS[3], "opts.maxLenEvents", "paused", "concurrency")
local maxEvents = meta[1]
local prefix, customId = ARGV[5], ARGV[6]
if not maxEvents or (customId ~= "" and rcall("EXISTS", prefix .. customId) == 1) then
  return bullmq_addStandardJob(KEYS, ARGV)
end

local counter = rcall("INCR", KEYS[4])
local jobId = customId
if jobId == "" then
  jobId = counter .. ""
end
local eventsKey, name = KEYS[8], ARGV[7]
rcall("HSET", prefix .. jobId, "name", name, "data", ARGV[2], "opts", optsJson, "timestamp", ARGV[8],
  "delay", "0", "priority", "0")
rcall("XADD", eventsKey, "*", "event", "added", "jobId", jobId, "name", name)

local pausedOrMaxed = meta[2] ~= false
if not pausedOrMaxed and meta[3] then
  pausedOrMaxed = rcall("LLEN", KEYS[7]) >= tonumber(meta[3])
end
rcall(ARGV[9] == "1" and "RPUSH" or "LPUSH", KEYS[1], jobId)
if not pausedOrMaxed then
  rcall("ZADD", KEYS[9], 0, "0")
end
rcall("XADD", eventsKey, "MAXLEN", "~", maxEvents, "*", "event", "waiting", "jobId", jobId)
return jobId
