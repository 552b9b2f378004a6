-- Deletes finished (Done) jobs that ended at or before a cutoff: their id from the done set,
-- their payload and their metadata. Dead jobs are never touched (they are kept with their error).
-- KEYS[1] = the queue's done set, KEYS[2] = its task data hash, KEYS[3] = its metadata prefix
-- ARGV[1] = the cutoff (Unix seconds), ARGV[2..] = candidate task ids
local deleted = 0
local cutoff = tonumber(ARGV[1])
for i = 2, #ARGV do
  local id = ARGV[i]
  local meta = KEYS[3] .. ':' .. id
  local done_at = tonumber(redis.call('HGET', meta, 'done_at'))
  if done_at and done_at <= cutoff and redis.call('SISMEMBER', KEYS[1], id) == 1 then
    redis.call('SREM', KEYS[1], id)
    redis.call('HDEL', KEYS[2], id)
    redis.call('DEL', meta)
    deleted = deleted + 1
  end
end
return deleted
