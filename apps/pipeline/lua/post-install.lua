--[[
  Installs a post's state that the caller staged in a scratch set: the cache-aside warm after a miss, and the
  reconciler's repair. Staging first (plain SADDs in chunks) keeps any single call short however many likers a
  viral post has; this script then swaps it in atomically. The post is installed unsplit: a split post's
  sub-slots must have been fenced first (shard-fence.lua), which the expected epoch guards.

  KEYS[1]  post hash
  KEYS[2]  likers set
  KEYS[3]  staged likers set (may not exist: zero likers)

  ARGV[1]  author id
  ARGV[2]  created-at (ISO-8601)
  ARGV[3]  mode: "warm" installs only when the post is absent; "replace" always installs
  ARGV[4]  "replace" only: the split epoch the caller fenced ("" when it found the post unsplit)

  Returns {installed (0|1), count}: the count is the staged set's cardinality, so counter and set agree; or
  {"moved", epoch} when a replace finds another split epoch than the caller fenced (nothing installed: the
  post was split meanwhile, and that split's sub-slots are still open).
]]
if ARGV[3] == 'warm' then
  local count = redis.call('HGET', KEYS[1], 'count')
  if count and (tonumber(count) == 0 or redis.call('EXISTS', KEYS[2]) == 1) then
    redis.call('DEL', KEYS[3])
    return {0, tonumber(count)}
  end
else
  local v = redis.call('HMGET', KEYS[1], 'shards', 'epoch')
  local epoch = ''
  if v[1] and tonumber(v[1]) > 1 then epoch = v[2] end
  if epoch ~= ARGV[4] then
    redis.call('DEL', KEYS[3])
    return {'moved', epoch}
  end
end
if redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('RENAME', KEYS[3], KEYS[2])
else
  redis.call('DEL', KEYS[2])
end
local count = redis.call('SCARD', KEYS[2])
redis.call('HDEL', KEYS[1], 'shards', 'epoch')
redis.call('HSET', KEYS[1], 'author', ARGV[1], 'created', ARGV[2], 'count', count)
return {1, count}
