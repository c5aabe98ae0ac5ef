-- wrk: cycle through a file of request paths, one a line, each thread its own share.
--   wrk -t2 ... -s bench/cycle.lua http://127.0.0.1:PORT -- PATHS_FILE THREADS
-- Thread k of THREADS sends lines k, k + THREADS, ... so no two threads send the same
-- path, and a path comes again only once the whole file has been sent (bench/run.py:
-- 10,000 distinct searches, bench/distinct_queries.py).
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

local paths, i = {}, 0

function init(args)
  local threads = tonumber(args[2]) or 1
  local k = 0
  for line in io.lines(args[1]) do
    if k % threads == id then paths[#paths + 1] = line end
    k = k + 1
  end
end

request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
