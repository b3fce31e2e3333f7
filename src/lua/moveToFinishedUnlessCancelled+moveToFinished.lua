--[[
  moveToFinishedUnlessCancelled - drover's guard, put in front of BullMQ's own
  moveToFinished by the build (scripts/embed-lua.mjs): same KEYS and ARGV.

  A cancellation request left in the job's hash (by cancelJob) while the job ran wins
  over its completion: then nothing is recorded and the reply is
  {"drover:cancel", <request>}, and the worker fails the job "cancelled" instead.
  Checking here, in the same atomic call, leaves no window between the check and the
  completion, and saves the worker a round trip per job.

  KEYS[12] is the job hash in moveToFinished's keys.
]]
local droverCancelRequest = redis.call("HGET", KEYS[12], "drover:cancel")
if droverCancelRequest then
  return {"drover:cancel", droverCancelRequest}
end
