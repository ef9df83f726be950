-- wrk script: GETs the URL given (a GraphQL query in its query string), sending the tag in
-- WRK_IF_NONE_MATCH and the Authorization header in WRK_AUTHORIZATION when set: the cached rate.
wrk.method = "GET"
wrk.headers["Accept"] = "application/graphql-response+json"
local tag = os.getenv("WRK_IF_NONE_MATCH")
if tag and tag ~= "" then
  wrk.headers["If-None-Match"] = tag
end
local authorization = os.getenv("WRK_AUTHORIZATION")
if authorization and authorization ~= "" then
  wrk.headers["Authorization"] = authorization
end
