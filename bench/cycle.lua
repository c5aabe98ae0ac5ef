-- wrk: cycle through a file of request paths, one a line, each thread its own share.
--   wrk -t2 ... -s bench/cycle.lua http://127.0.0.1:PORT -- PATHS_FILE THREADS
-- Thread k of THREADS sends lines k, k + THREADS, ... so no two threads send the same
-- path, and a path comes again only once its thread has sent its whole share (bench/run.py:
-- 10,000 distinct searches, bench/distinct_queries.py). At the end it prints how many
-- requests repeated a path ("cycle: repeated N"), which bench/wrk_runs.py reads.
local counter, threads = 0, {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  threads[#threads + 1] = thread
end

local paths, i = {}, 0
sent, share = 0, 0

function init(args)
  local n = tonumber(args[2]) or 1
  local k = 0
  for line in io.lines(args[1]) do
    if k % n == id then paths[#paths + 1] = line end
    k = k + 1
  end
  share = #paths
end

request = function()
  i = i % #paths + 1
  sent = sent + 1
  return wrk.format("GET", paths[i])
end

done = function(summary, latency, requests)
  local repeated = 0
  for _, thread in ipairs(threads) do
    repeated = repeated + math.max(0, thread:get("sent") - thread:get("share"))
  end
  io.write(string.format("cycle: repeated %d\n", repeated))
end
