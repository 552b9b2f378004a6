-- wrk: GET /v1/users/me with the access token in BENCH_TOKEN.
local token = os.getenv("BENCH_TOKEN")
request = function()
  return wrk.format("GET", "/v1/users/me", { ["Authorization"] = "Bearer " .. token })
end
