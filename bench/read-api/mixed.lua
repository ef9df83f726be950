-- wrk script: POSTs the GraphQL requests in the files named by WRK_BODIES (comma-separated) in
-- turn, with the Authorization header in WRK_AUTHORIZATION when set; prints the RESULT line of
-- post.lua.
local bodies = {}
for name in string.gmatch(os.getenv("WRK_BODIES"), "[^,]+") do
  local file = assert(io.open(name, "r"))
  bodies[#bodies + 1] = file:read("*a")
  file:close()
end
local headers = {
  ["Content-Type"] = "application/json",
  ["Accept"] = "application/graphql-response+json, application/json;q=0.9",
}
local authorization = os.getenv("WRK_AUTHORIZATION")
if authorization and authorization ~= "" then
  headers["Authorization"] = authorization
end
local next = 0
request = function()
  next = next % #bodies + 1
  return wrk.format("POST", nil, headers, bodies[next])
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %.2f %.2f %.2f %.3f\n", summary.requests,
    e.status + e.connect + e.read + e.write + e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.duration / 1e6))
end
