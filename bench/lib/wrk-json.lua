-- wrk script for `make bench`. With WRK_TOKENS naming a file of tokens (one per line), each
-- request carries the next one as its bearer token, round robin, so that no verified-token
-- cache can answer. At the end it prints one JSON line with the run's totals and latency
-- percentiles (microseconds), so the benchmarks read numbers instead of parsing wrk's text.
local path = os.getenv("WRK_TOKENS")
if path and path ~= "" then
  local tokens = {}
  for line in io.lines(path) do
    if line ~= "" then tokens[#tokens + 1] = "Bearer " .. line end
  end
  -- The token replaces any Authorization header given with -H, whatever its case.
  for name in pairs(wrk.headers) do
    if string.lower(name) == "authorization" then wrk.headers[name] = nil end
  end
  local i = 0
  request = function()
    i = i % #tokens + 1
    wrk.headers["Authorization"] = tokens[i]
    return wrk.format()
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"socket_errors":%d,"non_2xx":%d,"p50_us":%.1f,"p90_us":%.1f,"p99_us":%.1f,"mean_us":%.1f,"max_us":%.1f}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
