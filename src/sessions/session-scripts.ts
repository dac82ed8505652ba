/**
 * Lua scripts for the fleet's session records. Times are Redis's own (TIME), so replica clocks do
 * not matter. Sorted sets hold session ids scored by when their record expires: counting live
 * sessions is trimming the expired ones and taking the size.
 */

/** Redis time in ms, inside a script. */
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * KEYS: all sessions (zset), this key's sessions (zset), the record (hash), its tombstone.
 * ARGV: id, ttl ms, max sessions, max sessions per key, then the record's field/value pairs.
 * Returns 0 admitted (counted and recorded), 1 the fleet is full, 2 this key is full, 3 a session
 * with this id ended.
 */
export const ADMIT_SCRIPT = `${NOW}
local ttl = tonumber(ARGV[2])
if redis.call('EXISTS', KEYS[4]) == 1 then return 3 end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 1 end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[4]) then return 2 end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('DEL', KEYS[3])
redis.call('HSET', KEYS[3], unpack(ARGV, 5))
redis.call('PEXPIRE', KEYS[3], ttl)
return 0`;

/**
 * KEYS: the record, all sessions, this key's sessions. ARGV: id, ttl ms.
 * Pushes the record's and its counts' expiry out; 0 when the record is gone (nothing changed).
 */
export const RENEW_SCRIPT = `${NOW}
local ttl = tonumber(ARGV[2])
if redis.call('PEXPIRE', KEYS[1], ttl) == 0 then return 0 end
redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
redis.call('ZADD', KEYS[3], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('PEXPIRE', KEYS[3], ttl)
return 1`;

/**
 * KEYS: all sessions, this key's sessions, the record, its tombstone. ARGV: id, ttl ms,
 * field/value pairs. Writes a record back with its counts, without checking the limits (a store
 * that lost it); 0 without writing when the session ended (its tombstone is there).
 */
export const RESTORE_SCRIPT = `${NOW}
local ttl = tonumber(ARGV[2])
if redis.call('EXISTS', KEYS[4]) == 1 then return 0 end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('HSET', KEYS[3], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[3], ttl)
return 1`;

/**
 * KEYS: the record, all sessions, this key's sessions, its tombstone. ARGV: id, tombstone ms.
 * Ends a session: the record and its counts go, and a tombstone stays as long as a record would
 * have, so that no replica still holding a copy writes the record back.
 */
export const REMOVE_SCRIPT = `redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('SET', KEYS[4], '1', 'PX', tonumber(ARGV[2]))
return 1`;

/** KEYS: the record. ARGV: field/value pairs. Sets them only while the record exists. */
export const UPDATE_SCRIPT = `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`;

/** KEYS: all sessions. Live session ids with their expiry, oldest expiry first. */
export const LIVE_SCRIPT = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
return redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')`;
