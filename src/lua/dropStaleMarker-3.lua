--[[
  dropStaleMarker - drover's own script (BullMQ's worker has no such step).

  BullMQ's moveToActive puts the base marker back every time it takes a job, so that
  another blocked worker wakes and looks for more. At a trickle there is no more: the
  worker that took the job then finds the queue empty, blocks on the marker, is woken
  at once by the marker it put back itself, and fetches in vain once more - a wasted
  round trip and script call per job. A worker about to block sends this in the same
  pipeline as its BZPOPMIN: the base marker goes only while nothing waits to be taken,
  so no wake-up a job needs is lost (a job added later puts the marker back, and one
  waiting now keeps it). Delay markers (members other than "0") are left alone.

  KEYS[1] the marker, KEYS[2] the wait list, KEYS[3] the prioritized set

  Returns 1 when it removed the base marker, else 0.
]]
if redis.call("LLEN", KEYS[2]) == 0 and redis.call("ZCARD", KEYS[3]) == 0 then
  return redis.call("ZREM", KEYS[1], "0")
end
return 0
