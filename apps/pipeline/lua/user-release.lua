--[[
  Undoes an admission whose action was not made durable, so a failed request costs the user nothing.

  KEYS[1]  rate-limit log
  KEYS[2]  idempotency record (a placeholder when there is no key)

  ARGV[1]  slot returned by user-admit.lua
  ARGV[2]  "1" when the request carries an Idempotency-Key, else "0"

  Returns 1. The idempotency record is removed only while it is still an in-flight marker: a finished answer
  stays.
]]
redis.call('LREM', KEYS[1], 1, ARGV[1])
if ARGV[2] == '1' then
  local raw = redis.call('GET', KEYS[2])
  if raw and cjson.decode(raw).s == 'inflight' then
    redis.call('DEL', KEYS[2])
  end
end
return 1
