-- wrk script: each request asks for the next packument of the list in PATHS_FILE (one
-- request path a line), with npm's install Accept header (ACCEPT_HEADER). Each wrk thread
-- starts at a different offset so the threads do not walk the list in step.
local paths = {}
for line in io.lines(os.getenv("PATHS_FILE")) do
  if #line > 0 then paths[#paths + 1] = line end
end
local accept = os.getenv("ACCEPT_HEADER")
local i = math.random(1, #paths)

-- With RATE and CONNECTIONS set, each connection waits about CONNECTIONS / RATE seconds
-- (jittered) before its next request, so the load is about RATE requests/s instead of as
-- many as the target can answer: latency at a given load rather than at saturation.
local rate = tonumber(os.getenv("RATE") or "")
local connections = tonumber(os.getenv("CONNECTIONS") or "")
local gap_ms = (rate and connections) and (connections * 1000 / rate) or nil
if gap_ms then
  delay = function()
    return math.floor(gap_ms * (0.5 + math.random()))
  end
end

request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i], { ["Accept"] = accept })
end

done = function(summary, latency, requests)
  io.write(string.format("non-2xx/3xx answers: %d, p50 %.2f ms, p99 %.2f ms, requests/s %.0f\n",
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6)))
end
