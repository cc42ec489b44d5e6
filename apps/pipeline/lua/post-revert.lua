--[[
  Reverses a post-apply.lua that reported changed=1, after the event could not be made durable.

  KEYS[1]  post hash
  KEYS[2]  likers set

  ARGV[1]  user id
  ARGV[2]  the action that was applied: "like" | "unlike"

  Returns 1 when something was reversed, 0 when the state had already moved on (nothing to undo), or
  {"split", shards, epoch} when the post was split after the apply: the frozen set must not change, so the
  caller reverses in the user's sub-slot instead (the opposite action there, shard-apply.lua).
]]
local v = redis.call('HMGET', KEYS[1], 'count', 'shards', 'epoch')
if not v[1] then
  return 0
end
if v[2] and tonumber(v[2]) > 1 then
  return {'split', tonumber(v[2]), v[3]}
end
local undone
if ARGV[2] == 'like' then
  undone = redis.call('SREM', KEYS[2], ARGV[1])
  if undone == 1 then redis.call('HINCRBY', KEYS[1], 'count', -1) end
else
  undone = redis.call('SADD', KEYS[2], ARGV[1])
  if undone == 1 then redis.call('HINCRBY', KEYS[1], 'count', 1) end
end
return undone
