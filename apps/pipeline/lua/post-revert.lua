--[[
  Reverses a post-apply.lua that reported changed=1, after the event could not be made durable.

  KEYS[1]  post hash
  KEYS[2]  likers set

  ARGV[1]  user id
  ARGV[2]  the action that was applied: "like" | "unlike"

  Returns 1 when something was reversed, 0 when the state had already moved on (nothing to undo).
]]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
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
