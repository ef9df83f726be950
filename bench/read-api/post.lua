-- wrk script: POSTs the GraphQL request in the file named by WRK_BODY_FILE to the URL given,
-- with the Authorization header in WRK_AUTHORIZATION when set.
local file = assert(io.open(os.getenv("WRK_BODY_FILE"), "r"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/graphql-response+json, application/json;q=0.9"
local authorization = os.getenv("WRK_AUTHORIZATION")
if authorization and authorization ~= "" then
  wrk.headers["Authorization"] = authorization
end

-- One machine-readable line after wrk's report (bench/impact.sh reads it): requests, failed
-- requests (non-2xx, socket errors, timeouts) and the 50th, 95th and 99th latency percentiles in ms.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %.2f %.2f %.2f %.3f\n", summary.requests,
    e.status + e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.duration / 1e6))
end
