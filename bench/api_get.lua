-- wrk: GET the API path in BENCH_PATH with the access token in BENCH_TOKEN.
local token = os.getenv("BENCH_TOKEN")
local path = os.getenv("BENCH_PATH")
request = function()
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end
