--[[
  Stores the final answer under an idempotency key so that retries replay it.

  KEYS[1]  idempotency record

  ARGV[1]  fingerprint
  ARGV[2]  response JSON {"status":..,"body":..}
  ARGV[3]  TTL in milliseconds (24 h by default)

  Returns 1.
]]
local rec = cjson.encode({s = 'done', fp = ARGV[1], r = cjson.decode(ARGV[2])})
redis.call('SET', KEYS[1], rec, 'PX', tonumber(ARGV[3]))
return 1
