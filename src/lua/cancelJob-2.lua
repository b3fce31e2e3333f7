--[[
  cancelJob - drover's own script (BullMQ has no cross-process cancellation).

  Leaves a durable cancellation request in a job's hash, atomically with the check
  that the job exists and has not finished, so that a request never lands on a job
  that is gone or done. drover workers read the field when they take the job, while
  it runs, and before they record its end; Node workers ignore it.

  The request names the attempt it is for: the job's attemptsMade ("atm", which only the
  end of a run raises) is added to it as "atm". A request lapses once that run has ended
  (a Node worker, which ignores requests, finished it, and job.retry() runs it again):
  drover workers ignore a request whose atm is not the job's.

  KEYS[1] the job hash, KEYS[2] the job's lock key
  ARGV[1] the field name, ARGV[2] the request (a JSON object: reason and time)

  Returns -1 no such job, 1 already finished, 2 locked by a worker (request left),
  3 not locked (request left; the caller removes the job with removeJob).

  A key that is no job's hash is no job: another type, or a hash without the creation
  time every job's has (a scheduler's "repeat:<id>", the metrics' "metrics:completed").
]]
if redis.call("TYPE", KEYS[1])["ok"] ~= "hash" or redis.call("HEXISTS", KEYS[1], "timestamp") == 0 then
  return -1
end
if redis.call("HEXISTS", KEYS[1], "finishedOn") == 1 then
  return 1
end
local atm = tonumber(redis.call("HGET", KEYS[1], "atm") or "0") or 0
-- ARGV[2] is an object written by queue::cancel: "atm" goes in as its last member.
redis.call("HSET", KEYS[1], ARGV[1], string.sub(ARGV[2], 1, -2) .. string.format(',"atm":%d}', atm))
if redis.call("EXISTS", KEYS[2]) == 1 then
  return 2
end
return 3
