--[[
  raiseIdCounter - drover's own script (BullMQ's adds only count up from whatever the
  counter holds, and it starts again at 1 when Redis lost its data).

  Raises a queue's job id counter to a floor when it is lower. An application that
  records job ids elsewhere (the API keeps each message's job id in its database) sends
  it in front of its adds, in the same pipeline, so that after Redis lost its data (a
  restart without persistence, a failover to a replica that lagged behind) the next add
  does not give a recorded id to a second job.

  KEYS[1] the id counter ("bull:<queue>:id")
  ARGV[1] the floor, a decimal integer >= 0

  Returns the counter's value before (0 when there was none) when it raised it; -1 when
  it was at the floor or above, and nothing was written.

  Sent whole (EVAL), being this short: a pipeline of it and the adds then holds one
  script that may be missing from Redis's cache, and needs no SCRIPT EXISTS first.
]]
-- drover:eval
local current = tonumber(redis.call("GET", KEYS[1]) or "0")
if current >= tonumber(ARGV[1]) then
  return -1
end
redis.call("SET", KEYS[1], ARGV[1])
return current
