--[[
  Applies a like or unlike of a split post in the user's sub-slot ({p:<postId>~<epoch>.<k>}, k = hash(user) mod
  shards). Dedup is partitioned by user, so one user's actions on the post always meet here. The frozen base
  set (post-split.lua) still holds who liked before the split; the caller read the user's membership in it
  (SISMEMBER, race-free since the set no longer changes) and passes it in. The user likes the post iff
    in the base:     not in the unliked set
    not in the base: in the likers set
  and the post's count is the frozen base count plus every sub-slot's partial. Once the split's seeder has copied
  this sub-slot's part of the frozen base here (the "based" set, field `seeded` = its size), membership is read
  locally and the base slot is out of the hot path; until then the caller reads it from the base and passes it.

  KEYS[1]  sub-slot hash (fields: partial, closed)
  KEYS[2]  sub-slot likers set (users not in the base)
  KEYS[3]  sub-slot unliked set (users of the base who unliked since the split)
  KEYS[4]  sub-slot based set (this sub-slot's users of the frozen base, copied by the seeder)

  ARGV[1]  user id
  ARGV[2]  "like" | "unlike"
  ARGV[3]  "1" when the user is in the frozen base likers set, "0" when not, "?" when the caller has not read it

  Returns {"closed"} when the reconciler fenced this sub-slot (shard-fence.lua: the post is being reinstalled;
  nothing applied, re-read the layout); {"need_base"} when ARGV[3] is "?" and the sub-slot is not seeded
  (nothing applied: read the base and call again); else {"ok", changed (0|1), partial}. A reversal is the
  opposite action.
]]
local h = redis.call('HMGET', KEYS[1], 'closed', 'seeded')
if h[1] then
  return {'closed'}
end
local inBase = ARGV[3]
if h[2] then
  if redis.call('SISMEMBER', KEYS[4], ARGV[1]) == 1 then
    inBase = '1'
  elseif tonumber(h[2]) > 0 and redis.call('EXISTS', KEYS[4]) == 0 then
    -- The copy was evicted: membership must come from the base again until a seeder copies it anew.
    redis.call('HDEL', KEYS[1], 'seeded')
  else
    inBase = '0'
  end
end
if inBase == '?' then
  return {'need_base'}
end
local changed
if inBase == '1' then
  if ARGV[2] == 'like' then
    changed = redis.call('SREM', KEYS[3], ARGV[1])
  else
    changed = redis.call('SADD', KEYS[3], ARGV[1])
  end
elseif ARGV[2] == 'like' then
  changed = redis.call('SADD', KEYS[2], ARGV[1])
else
  changed = redis.call('SREM', KEYS[2], ARGV[1])
end
local partial
if changed == 1 then
  if ARGV[2] == 'like' then
    partial = redis.call('HINCRBY', KEYS[1], 'partial', 1)
  else
    partial = redis.call('HINCRBY', KEYS[1], 'partial', -1)
  end
else
  partial = tonumber(redis.call('HGET', KEYS[1], 'partial') or '0')
end
return {'ok', changed, partial}
