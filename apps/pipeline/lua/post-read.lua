--[[
  Reads a post's served state and whether one user likes it.

  KEYS[1]  post hash
  KEYS[2]  likers set

  ARGV[1]  viewer's user id

  Returns {"miss"} (see post-apply.lua for when) or
  {"ok", author, created, count, likedByMe (0|1), shards, epoch}. For a split post (shards > 1) count and
  likedByMe are the frozen base's: the caller adds the sub-slots' partial counts and the viewer's sub-slot
  state (see shard-apply.lua). Unsplit, shards is 1 and epoch "".
]]
local v = redis.call('HMGET', KEYS[1], 'author', 'created', 'count', 'shards', 'epoch')
if not v[3] then
  return {'miss'}
end
if tonumber(v[3]) > 0 and redis.call('EXISTS', KEYS[2]) == 0 then
  return {'miss'}
end
local shards = 1
if v[4] then shards = tonumber(v[4]) end
return {'ok', v[1], v[2], v[3], redis.call('SISMEMBER', KEYS[2], ARGV[1]), shards, v[5] or ''}
