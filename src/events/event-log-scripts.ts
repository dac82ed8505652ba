/**
 * KEYS: the session's stream, its byte total. ARGV: stream id, message JSON, max events, max
 * bytes, ttl ms, channel, session id.
 * Appends an event, drops the oldest until both bounds hold, renews both keys' expiry and tells
 * the replicas which session has news (`[sessionId, entryId]` on the channel). Returns the entry
 * id; or false (nil), with nothing touched, for an event larger than the byte bound on its own
 * (appending it would drop every older event of the session, and then itself).
 */
export const APPEND_SCRIPT = `local size = string.len(ARGV[2])
if size > tonumber(ARGV[4]) then return false end
local id = redis.call('XADD', KEYS[1], '*', 's', ARGV[1], 'm', ARGV[2])
local total = redis.call('INCRBY', KEYS[2], size)
local count = redis.call('XLEN', KEYS[1])
local maxEvents = tonumber(ARGV[3])
local maxBytes = tonumber(ARGV[4])
while count > 0 and (count > maxEvents or total > maxBytes) do
  local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
  local fields = oldest[2]
  for i = 1, #fields, 2 do
    if fields[i] == 'm' then total = total - string.len(fields[i + 1]) end
  end
  redis.call('XDEL', KEYS[1], oldest[1])
  count = count - 1
end
local ttl = tonumber(ARGV[5])
redis.call('SET', KEYS[2], total, 'PX', ttl)
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PUBLISH', ARGV[6], cjson.encode({ARGV[7], id}))
return id`;
