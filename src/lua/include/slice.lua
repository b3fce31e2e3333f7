--[[
  slice - drover's own helper, put in front of every own script that calls BullMQ's
  scripts (scripts/embed-lua.mjs): t[first..last] as a new table, to hand one called
  script its share of the caller's KEYS or ARGV.
]]
local function slice(t, first, last)
  local out = {}
  for i = first, last do
    out[#out + 1] = t[i]
  end
  return out
end
