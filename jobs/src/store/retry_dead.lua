-- Puts dead jobs of one queue back: out of the dead set, attempts reset, onto the active list.
-- KEYS[1]: the dead jobs set
-- KEYS[2]: the active jobs list
-- KEYS[3]: the signal list (wakes waiting workers)
-- KEYS[4]: the job metadata prefix
-- KEYS[5]: the job data hash
-- ARGV: the job ids to put back; none = every dead job of the queue
-- Returns how many were put back.
local ids = ARGV
if #ids == 0 then
    ids = redis.call("smembers", KEYS[1])
end
local count = 0
for _, id in ipairs(ids) do
    if redis.call("sismember", KEYS[1], id) == 1 and redis.call("hexists", KEYS[5], id) == 1 then
        redis.call("srem", KEYS[1], id)
        redis.call("hset", KEYS[4] .. ":" .. id, "status", "Pending", "attempts", 0)
        redis.call("hdel", KEYS[4] .. ":" .. id, "done_at")
        redis.call("rpush", KEYS[2], id)
        count = count + 1
    end
end
if count > 0 then
    redis.call("del", KEYS[3])
    redis.call("lpush", KEYS[3], 1)
end
return count
