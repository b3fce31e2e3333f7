--[[
  moveToFinishedWithDeadLetter - drover's own script (BullMQ has no dead-letter queue):
  a job's final failure and its copy to the worker's dead-letter queue in one atomic
  call, so that no crash, lost reply or Redis restart between the two can record the
  failure without the copy.

  Both halves are BullMQ's own scripts, called as functions (the build puts them in
  front of this one, see scripts/embed-lua.mjs): moveToFinished for the failure, then
  addStandardJob for the entry, which carries a custom id derived from the failure, so
  that the entry is written once even if this call is repeated.

  KEYS[1..14]  moveToFinished's keys (the source queue)
  KEYS[15..23] addStandardJob's keys (the dead-letter queue)
  ARGV[1..9]   moveToFinished's ARGV (target "failed")
  ARGV[10..12] addStandardJob's ARGV (the entry)

  Returns what moveToFinished returns. When that is a negative code nothing was
  recorded, and no entry is written either.
]]
-- drover:calls moveToFinished addStandardJob
local finished = bullmq_moveToFinished(slice(KEYS, 1, 14), slice(ARGV, 1, 9))
if type(finished) == "number" and finished < 0 then
  return finished
end
bullmq_addStandardJob(slice(KEYS, 15, 23), slice(ARGV, 10, 12))
return finished
