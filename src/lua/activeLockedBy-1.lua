--[[
  activeLockedBy - drover's own script (BullMQ finds jobs by state, never by lock).

  Finds the jobs in active whose lock holds a token. A worker that finishes a job with
  moveToFinished and fetchNext gets the next job locked with its own token in the same
  call; when that call's reply is lost (the connection drops after Redis ran it), the
  worker does not know which job it now holds. This answers it, so that the worker can
  hand that job back at once instead of leaving it to the stalled check, which would
  spend the job's one allowed stall a lock duration later.

  It reads one lock per active job: meant for that rare recovery, not for a hot path.

  KEYS[1] the active list
  ARGV[1] the queue's key prefix ("bull:<queue>:"), ARGV[2] the lock token

  Returns the ids, in the active list's order, whose <prefix><id>:lock equals the token.
]]
local found = {}
for _, id in ipairs(redis.call("LRANGE", KEYS[1], 0, -1)) do
  if redis.call("GET", ARGV[1] .. id .. ":lock") == ARGV[2] then
    found[#found + 1] = id
  end
end
return found
