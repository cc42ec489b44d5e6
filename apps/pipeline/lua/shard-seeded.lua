--[[
  Marks a sub-slot seeded: the seeder has copied every member of the frozen base likers set that belongs to this
  sub-slot into its based set (plain SADDs before this, on the same connection, so they are applied and
  replicated first; SSCAN returns every member of a set that does not change during the scan, and the frozen
  base does not). From then on shard-apply.lua reads base membership here instead of asking the caller.

  KEYS[1]  sub-slot hash
  KEYS[2]  sub-slot based set

  Returns 1 when marked (field seeded = the copy's size, so an evicted copy is noticed), 0 when the sub-slot is
  fenced: the copy is dropped, the post is being reinstalled.
]]
if redis.call('HEXISTS', KEYS[1], 'closed') == 1 then
  redis.call('DEL', KEYS[2])
  return 0
end
redis.call('HSET', KEYS[1], 'seeded', redis.call('SCARD', KEYS[2]))
return 1
