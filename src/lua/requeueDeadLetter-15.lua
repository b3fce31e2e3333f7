--[[
  requeueDeadLetter - drover's own script (BullMQ has no dead-letter queue): a
  dead-letter entry goes back to its source queue as a new job and leaves the
  dead-letter queue in one atomic call, so that no crash between the two can add the
  job twice (an add first) or lose it (a removal first). An entry whose failed job ran
  again since (a retry moved it out of failed: its finishedOn is no longer the one the
  entry records) is refused in the same call: a copy would run the job a second time,
  and a check before the call could miss a retry made in between. The failed job itself
  goes in the same call when it still holds that failure: the copy takes it over, and a
  later retry of the original (drover queue retry, Node's job.retry(), a retry of every
  failed job) would run the job a second time. Each requeue is noted (KEYS[15], the failed
  job's id -> its copy's id), so that another entry of the same job, whose failed job is
  then gone, is refused as well: it was requeued too, and ran the job twice (an
  operator's review, after a retry that failed again left two entries).

  The add and the removal are BullMQ's own scripts, called as functions (the build puts
  them in front of this one, see scripts/embed-lua.mjs), so the new job and the
  entry's removal are exactly what BullMQ writes, events included.

  KEYS[1..9]  the source queue's keys for addStandardJob (ARGV[1] "standard") or
              addPrioritizedJob (ARGV[1] "prioritized"), in that script's order
  KEYS[10]    the entry's job hash, KEYS[11] the dead-letter queue's repeat key
  KEYS[12]    the failed job's hash in the source queue
  KEYS[13..14] removeJob's keys for the failed job: its hash, the source queue's repeat key
  KEYS[15]    the source queue's hash of jobs requeued from their dead letters
              (<prefix>:<queue>:drover:requeued; its ':' keeps it from every job id)
  ARGV[1]     "standard" or "prioritized"
  ARGV[2..4]  the add's own ARGV
  ARGV[5..7]  removeJob's ARGV for the entry: its id, "0", the dead-letter queue's prefix
  ARGV[8]     the failed job's finishedOn as the entry records it; "" when the entry
              does not say (no check, and the failed job is left as it is)
  ARGV[9..11] removeJob's ARGV for the failed job: its id, "0", the source queue's prefix

  Returns the new job's id; -1 when there is no such entry, 0 when it is locked, -100
  when its job ran again and has not finished since, -101 when it ran again and
  finished (nothing written in those cases), -102 when its job is gone and was
  requeued already, from any of its entries; an add's negative code as
  the add returns it.
]]
-- drover:calls addStandardJob addPrioritizedJob removeJob
local entryKey = KEYS[10]
if redis.call("EXISTS", entryKey) == 0 then
  return -1
end
local recordedFinishedOn = ARGV[8]
local failedJobHoldsIt = false
if recordedFinishedOn ~= "" then
  -- Every job hash has its timestamp: none means the job is gone (never retried and
  -- removed by its retention, or removed after a run again: not told apart, as before).
  local job = redis.call("HMGET", KEYS[12], "finishedOn", "timestamp")
  if job[2] and job[1] ~= recordedFinishedOn then
    return job[1] and -101 or -100
  end
  failedJobHoldsIt = job[2] ~= false and job[2] ~= nil
  -- Gone, and a copy of it was made already (from this entry's failure or another's):
  -- a second copy would run it twice. A requeued copy has an id of its own, so no later
  -- failure of the job itself can come after it.
  if not failedJobHoldsIt and redis.call("HEXISTS", KEYS[15], ARGV[9]) == 1 then
    return -102
  end
end
if redis.call("EXISTS", entryKey .. ":lock") == 1 then
  return 0
end

local add = ARGV[1] == "prioritized" and bullmq_addPrioritizedJob or bullmq_addStandardJob
local added = add(slice(KEYS, 1, 9), slice(ARGV, 2, 4))
if type(added) == "number" and added < 0 then
  return added
end
bullmq_removeJob(slice(KEYS, 10, 11), slice(ARGV, 5, 7))
if failedJobHoldsIt then
  bullmq_removeJob(slice(KEYS, 13, 14), slice(ARGV, 9, 11))
end
if recordedFinishedOn ~= "" then
  redis.call("HSET", KEYS[15], ARGV[9], added)
end
return added
