--[[
  Splits a post over sub-slots: from now on its likers set and count in this slot are frozen, and new likes and
  unlikes go to sub-slot k = hash(user) mod shards (shard-apply.lua). Atomic with post-apply.lua, which answers
  "split" from the moment this runs, so no write to the frozen set can race a sub-slot's read of it.

  KEYS[1]  post hash
  KEYS[2]  likers set

  ARGV[1]  shards (> 1)
  ARGV[2]  epoch: a fresh token naming this split's sub-slot keys

  Returns {"miss"} when the post is not (fully) in Redis, else {"split", shards, epoch}: the layout now in force,
  which is an earlier split's when the post was already split (then ARGV is ignored).
]]
local v = redis.call('HMGET', KEYS[1], 'count', 'shards', 'epoch')
if not v[1] then
  return {'miss'}
end
if tonumber(v[1]) > 0 and redis.call('EXISTS', KEYS[2]) == 0 then
  return {'miss'}
end
if v[2] and tonumber(v[2]) > 1 then
  return {'split', tonumber(v[2]), v[3]}
end
redis.call('HSET', KEYS[1], 'shards', ARGV[1], 'epoch', ARGV[2])
return {'split', tonumber(ARGV[1]), ARGV[2]}
