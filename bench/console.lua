-- wrk: GET the console page in BENCH_PATH with the cookie session in BENCH_COOKIE.
local cookie = os.getenv("BENCH_COOKIE")
local path = os.getenv("BENCH_PATH")
request = function()
  return wrk.format("GET", path, { ["Cookie"] = cookie })
end
