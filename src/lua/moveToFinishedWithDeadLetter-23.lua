--[[
  moveToFinishedWithDeadLetter - drover's own script (BullMQ has no dead-letter queue):
  a job's final failure and its copy to the worker's dead-letter queue in one atomic
  call, so that no crash, lost reply or Redis restart between the two can record the
  failure without the copy.

  Both halves are BullMQ's own scripts, called as functions (the build puts them in
  front of this one, see scripts/embed-lua.mjs): moveToFinished for the failure, then
  addStandardJob for the entry, which carries a custom id derived from the failure, so
  that the entry is written once even if this call is repeated.

  Then, when the queue keeps at most N entries, the oldest beyond N go: failures that
  anyone can cause (a receiver that refuses, a model that refuses a prompt) must not
  fill Redis's memory. They leave as BullMQ's removeJob leaves a waiting job that has
  no parent, children or deduplication (an entry has none): out of its list, its hash
  and logs deleted, a "removed" event.

  KEYS[1..14]  moveToFinished's keys (the source queue)
  KEYS[15..23] addStandardJob's keys (the dead-letter queue: wait, paused, meta, ...,
               events at 22)
  ARGV[1..9]   moveToFinished's ARGV (target "failed")
  ARGV[10..12] addStandardJob's ARGV (the entry)
  ARGV[13]     the most entries kept, 0 for all

  Returns what moveToFinished returns. When that is a negative code nothing was
  recorded, and no entry is written either.
]]
-- drover:calls moveToFinished addStandardJob
local finished = bullmq_moveToFinished(slice(KEYS, 1, 14), slice(ARGV, 1, 9))
if type(finished) == "number" and finished < 0 then
  return finished
end
bullmq_addStandardJob(slice(KEYS, 15, 23), slice(ARGV, 10, 12))

local kept = tonumber(ARGV[13]) or 0
if kept > 0 then
  -- addStandardJob pushes to wait, paused queue or not (pausing only marks meta); the
  -- newest entry first.
  local metaKey, eventsKey = KEYS[17], KEYS[22]
  local listKey = KEYS[15]
  local excess = redis.call("LLEN", listKey) - kept
  if excess > 0 then
    local jobKeyPrefix = string.sub(KEYS[15], 1, -5) -- "<prefix>:<queue>:" of ...:wait
    local oldest = redis.call("LRANGE", listKey, -excess, -1)
    redis.call("LTRIM", listKey, 0, -excess - 1)
    local maxEvents = tonumber(redis.call("HGET", metaKey, "opts.maxLenEvents") or "10000") or 10000
    for _, id in ipairs(oldest) do
      if redis.call("DEL", jobKeyPrefix .. id, jobKeyPrefix .. id .. ":logs") > 0 then
        redis.call("XADD", eventsKey, "MAXLEN", "~", maxEvents, "*", "event", "removed", "jobId", id, "prev", "wait")
      end
    end
  end
end
return finished
