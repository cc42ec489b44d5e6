--[[
  Applies a like or unlike to a post: dedup set + counter, in the post's hash slot ({p:<postId>}).

  KEYS[1]  post hash (fields: author, created, count; shards, epoch once split; rw, rn: the rate window)
  KEYS[2]  likers set (user ids)

  ARGV[1]  user id
  ARGV[2]  "like" | "unlike"
  ARGV[3]  hot rate: likes+unlikes per second (counted here, across every API) that make the post hot; 0 = never

  Returns {"miss"} when the post's state is not in Redis (never loaded, lost, or partly evicted);
  {"split", shards, epoch} when the post is split over sub-slots (nothing applied: the caller goes to the
  sub-slot, see shard-apply.lua); else {"ok", changed (0|1), count, hot (0|1)}. hot is 1 on exactly the action
  that reaches the rate within a one-second window, so one caller per window asks for the split (post-split.lua).

  An evicted likers set beside a surviving hash would make dedup lie, so a hash whose count is above zero
  without its set counts as a miss and is dropped, to be rebuilt from Postgres.
]]
local v = redis.call('HMGET', KEYS[1], 'count', 'shards', 'epoch', 'rw', 'rn')
if not v[1] then
  return {'miss'}
end
local count = tonumber(v[1])
if count > 0 and redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[1])
  return {'miss'}
end
-- Once split, the likers set and count are frozen: sub-slot scripts read membership in them without a lock.
if v[2] and tonumber(v[2]) > 1 then
  return {'split', tonumber(v[2]), v[3]}
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

local hot = 0
local rate = tonumber(ARGV[3])
if rate > 0 then
  local second = redis.call('TIME')[1]
  local n = 1
  if v[4] == second then n = tonumber(v[5]) + 1 end
  redis.call('HSET', KEYS[1], 'rw', second, 'rn', n)
  if n == rate then hot = 1 end
end
return {'ok', changed, count, hot}
