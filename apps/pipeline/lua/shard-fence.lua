--[[
  Fences one sub-slot of a split post before the reconciler reinstalls the post unsplit from Postgres: from
  now on shard-apply.lua answers "closed" here, so an API still holding the old layout re-reads it instead of
  writing where nobody counts. The dedup sets go (the reinstall rebuilds dedup from the truth); the hash stays,
  with its partial so a summed count still means something should the reinstall not follow, and expires after
  the TTL, which is far longer than any API keeps a layout.

  KEYS[1]  sub-slot hash
  KEYS[2]  sub-slot likers set
  KEYS[3]  sub-slot unliked set
  KEYS[4]  sub-slot based set (the seeder's copy of the frozen base)

  ARGV[1]  TTL of the fenced hash in milliseconds

  Returns the sub-slot's partial count.
]]
redis.call('HSET', KEYS[1], 'closed', '1')
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])
return tonumber(redis.call('HGET', KEYS[1], 'partial') or '0')
