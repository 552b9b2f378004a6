-- wrk: successful sign-ins, cycling through the users bench/run.sh created.
local users = tonumber(os.getenv("BENCH_USERS") or "50")
local password = "correct horse battery staple 42"
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"email":"bench%d@example.com","password":"%s"}', n % users, password)
  return wrk.format("POST", "/v1/auth/login", { ["Content-Type"] = "application/json" }, body)
end
