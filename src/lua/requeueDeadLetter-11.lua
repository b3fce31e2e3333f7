--[[
  requeueDeadLetter - drover's own script (BullMQ has no dead-letter queue): a
  dead-letter entry goes back to its source queue as a new job and leaves the
  dead-letter queue in one atomic call, so that no crash between the two can add the
  job twice (an add first) or lose it (a removal first).

  The add and the removal are BullMQ's own scripts, called as functions (the build puts
  them in front of this one, see scripts/embed-lua.mjs), so the new job and the
  entry's removal are exactly what BullMQ writes, events included.

  KEYS[1..9]  the source queue's keys for addStandardJob (ARGV[1] "standard") or
              addPrioritizedJob (ARGV[1] "prioritized"), in that script's order
  KEYS[10]    the entry's job hash, KEYS[11] the dead-letter queue's repeat key
  ARGV[1]     "standard" or "prioritized"
  ARGV[2..4]  the add's own ARGV
  ARGV[5..7]  removeJob's ARGV for the entry: its id, "0", the dead-letter queue's prefix

  Returns the new job's id; -1 when there is no such entry and 0 when it is locked
  (nothing written either way); an add's negative code as the add returns it.
]]
-- drover:calls addStandardJob addPrioritizedJob removeJob
local entryKey = KEYS[10]
if redis.call("EXISTS", entryKey) == 0 then
  return -1
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
return added
