--[[
  cancelJob - drover's own script (BullMQ has no cross-process cancellation).

  Leaves a durable cancellation request in a job's hash, atomically with the check
  that the job exists and has not finished, so that a request never lands on a job
  that is gone or done. drover workers read the field when they take the job, while
  it runs, and before they record its end; Node workers ignore it.

  KEYS[1] the job hash, KEYS[2] the job's lock key
  ARGV[1] the field name, ARGV[2] the request (JSON: reason and time)

  Returns -1 no such job, 1 already finished, 2 locked by a worker (request left),
  3 not locked (request left; the caller removes the job with removeJob).
]]
if redis.call("EXISTS", KEYS[1]) == 0 then
  return -1
end
if redis.call("HEXISTS", KEYS[1], "finishedOn") == 1 then
  return 1
end
redis.call("HSET", KEYS[1], ARGV[1], ARGV[2])
if redis.call("EXISTS", KEYS[2]) == 1 then
  return 2
end
return 3
