-- Bed reports at full speed for bench/run.py: one connection per wrk thread, each thread
-- PUTting over its own facilities, every PUT made against the ETag its facility's last
-- PUT returned (If-Match), so a report is never refused for a race the client made.
--
--   wrk -tN -cN -d10s -s bench/reports.lua URL -- <dir> <key>
--
-- <dir>/reporter-<i>.txt holds thread i's facilities, one "id level etag" a line.
-- Each thread remembers the last figure each facility accepted; done() writes them to
-- <dir>/accepted.txt ("id figure" a line, and "inflight id figure" for a report sent but
-- not answered when the run stopped), so run.py can check that none was lost.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("index", #threads)
end

function init(args)
  dir, key = args[1], args[2]
  ids, levels, etags, accepted = {}, {}, {}, {}
  for line in io.lines(dir .. "/reporter-" .. index .. ".txt") do
    local id, level, etag = line:match("^(%S+) (%S+) (.+)$")
    table.insert(ids, id)
    levels[id], etags[id] = level, etag
  end
  n, ok, refused = 0, 0, 0
  inflight_id, inflight_figure = nil, nil
end

function request()
  n = n + 1
  local id = ids[(n - 1) % #ids + 1]
  inflight_id, inflight_figure = id, n % 7
  local body = string.format(
    '{"rows":[{"level_of_care":"%s","population":"adult_any","capacity":20,"available":%d}]}',
    levels[id], inflight_figure)
  return wrk.format("PUT", "/v1/facilities/" .. id .. "/beds",
                    {["Authorization"] = "Bearer " .. key, ["If-Match"] = etags[id],
                     ["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status == 200 then
    for name, value in pairs(headers) do
      if name:lower() == "etag" then etags[inflight_id] = value end
    end
    accepted[inflight_id] = inflight_figure
    ok = ok + 1
  else
    refused = refused + 1
    if refused <= 3 then io.stderr:write(status .. " " .. body:sub(1, 200) .. "\n") end
  end
  inflight_id, inflight_figure = nil, nil
end

function done(summary, latency, requests)
  local out = io.open(threads[1]:get("dir") .. "/accepted.txt", "w")
  local total_ok, total_refused = 0, 0
  for _, thread in ipairs(threads) do
    for id, figure in pairs(thread:get("accepted")) do
      out:write(id .. " " .. figure .. "\n")
    end
    local id = thread:get("inflight_id")
    if id then out:write("inflight " .. id .. " " .. thread:get("inflight_figure") .. "\n") end
    total_ok = total_ok + thread:get("ok")
    total_refused = total_refused + thread:get("refused")
  end
  out:close()
  io.write(string.format("reports: ok %d refused %d\n", total_ok, total_refused))
end
