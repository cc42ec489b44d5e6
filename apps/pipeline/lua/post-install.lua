--[[
  Installs a post's state that the caller staged in a scratch set: the cache-aside warm after a miss, and the
  reconciler's repair. Staging first (plain SADDs in chunks) keeps any single call short however many likers a
  viral post has; this script then swaps it in atomically.

  KEYS[1]  post hash
  KEYS[2]  likers set
  KEYS[3]  staged likers set (may not exist: zero likers)

  ARGV[1]  author id
  ARGV[2]  created-at (ISO-8601)
  ARGV[3]  mode: "warm" installs only when the post is absent; "replace" always installs

  Returns {installed (0|1), count}. The count is the staged set's cardinality, so counter and set agree.
]]
if ARGV[3] == 'warm' then
  local count = redis.call('HGET', KEYS[1], 'count')
  if count and (tonumber(count) == 0 or redis.call('EXISTS', KEYS[2]) == 1) then
    redis.call('DEL', KEYS[3])
    return {0, tonumber(count)}
  end
end
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('RENAME', KEYS[3], KEYS[2])
else
  redis.call('DEL', KEYS[2])
end
local count = redis.call('SCARD', KEYS[2])
redis.call('HSET', KEYS[1], 'author', ARGV[1], 'created', ARGV[2], 'count', count)
return {1, count}
