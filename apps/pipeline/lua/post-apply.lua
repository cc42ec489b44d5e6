--[[
  Applies a like or unlike to a post: dedup set + counter, in the post's hash slot ({p:<postId>}).

  KEYS[1]  post hash (fields: author, created, count)
  KEYS[2]  likers set (user ids)

  ARGV[1]  user id
  ARGV[2]  "like" | "unlike"

  Returns {"miss"} when the post's state is not in Redis (never loaded, lost, or partly evicted), else
  {"ok", changed (0|1), count}.

  An evicted likers set beside a surviving hash would make dedup lie, so a hash whose count is above zero
  without its set counts as a miss and is dropped, to be rebuilt from Postgres.
]]
local count = redis.call('HGET', KEYS[1], 'count')
if not count then
  return {'miss'}
end
count = tonumber(count)
if count > 0 and redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[1])
  return {'miss'}
end

local changed
if ARGV[2] == 'like' then
  changed = redis.call('SADD', KEYS[2], ARGV[1])
else
  changed = redis.call('SREM', KEYS[2], ARGV[1])
end
if changed == 1 then
  if ARGV[2] == 'like' then
    count = redis.call('HINCRBY', KEYS[1], 'count', 1)
  else
    count = redis.call('HINCRBY', KEYS[1], 'count', -1)
  end
end
return {'ok', changed, count}
