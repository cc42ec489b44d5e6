--[[
  Admits one like/unlike for a user: idempotency lookup, in-flight marker, exact sliding-window rate limit.
  All keys are in the user's hash slot ({u:<userId>}), so this is one atomic step on one node.

  KEYS[1]  rate-limit log (list of admission times in microseconds, newest first)
  KEYS[2]  idempotency record (a never-written placeholder when the request has no Idempotency-Key)

  ARGV[1]  limit: admissions allowed per window
  ARGV[2]  window in milliseconds
  ARGV[3]  fingerprint the key is bound to ("<action>:<postId>")
  ARGV[4]  in-flight marker TTL in milliseconds
  ARGV[5]  "1" when the request carries an Idempotency-Key, else "0"

  Returns one of
    {"admitted", slot}          slot = the time pushed on the log, used to release it
    {"replay", storedJson}      storedJson = {"status":..,"body":..} of the first answer
    {"in_progress"}
    {"key_reused"}
    {"rate_limited", retryAfterMs}

  Time comes from the Redis server, not the caller, so API replicas with skewed clocks still agree: the limit
  is exact across replicas. Replays are checked first and do not consume rate-limit budget.
]]
local limit = tonumber(ARGV[1])
local windowUs = tonumber(ARGV[2]) * 1000
local fingerprint = ARGV[3]
local useIdem = ARGV[5] == '1'

if useIdem then
  local raw = redis.call('GET', KEYS[2])
  if raw then
    local rec = cjson.decode(raw)
    if rec.fp ~= fingerprint then
      return {'key_reused'}
    end
    if rec.s == 'done' then
      return {'replay', cjson.encode(rec.r)}
    end
    return {'in_progress'}
  end
end

local t = redis.call('TIME')
local nowUs = tonumber(t[1]) * 1000000 + tonumber(t[2])

-- The log holds at most `limit` entries: the limit-th newest decides. It is a bounded list used as a ring.
local boundary = redis.call('LINDEX', KEYS[1], limit - 1)
if boundary and nowUs - tonumber(boundary) < windowUs then
  local waitUs = tonumber(boundary) + windowUs - nowUs
  return {'rate_limited', math.ceil(waitUs / 1000)}
end

local slot = tostring(nowUs)
redis.call('LPUSH', KEYS[1], slot)
redis.call('LTRIM', KEYS[1], 0, limit - 1)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))

if useIdem then
  redis.call('SET', KEYS[2], cjson.encode({s = 'inflight', fp = fingerprint}), 'PX', tonumber(ARGV[4]))
end
return {'admitted', slot}
