import type { ThrottlerStorage } from '@nestjs/throttler';
import type Redis from 'ioredis';
import type { Clock } from '../common/clock';
import type { RedisConnection } from '../redis/redis-connection';

export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** The script's name on the ioredis client (EVALSHA, EVAL again after a NOSCRIPT). */
const COMMAND = 'aareguruSlidingWindowHit';

/**
 * SlidingWindowThrottlerStorage's step, in Redis: one hash per caller and limit, read, rolled
 * forward, counted and written back atomically. Time is the Redis server's (TIME), so replicas'
 * clocks never matter; ARGV[4] replaces it in tests only. The hash lives until no hit of the last
 * two windows and no block is left, as the in-process sweep forgets it.
 *
 * KEYS[1] the counter; ARGV: window (ms), limit, block duration (ms), [now (ms)].
 * Returns { totalHits, timeToExpire (s), isBlocked (0/1), timeToBlockExpire (s) }.
 */
export const SLIDING_WINDOW_SCRIPT = `
local ttl = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local blockDuration = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

local saved = redis.call('HMGET', KEYS[1], 'start', 'current', 'previous', 'blockedUntil', 'ttl')
local start, current, previous, blockedUntil = now, 0, 0, 0
if saved[1] and tonumber(saved[5]) == ttl then
  start = tonumber(saved[1])
  current = tonumber(saved[2])
  previous = tonumber(saved[3])
  blockedUntil = tonumber(saved[4])
  local elapsed = math.floor((now - start) / ttl)
  if elapsed >= 1 then
    if elapsed == 1 then previous = current else previous = 0 end
    current = 0
    start = start + elapsed * ttl
  end
end

local function estimate()
  return math.floor(previous * (1 - (now - start) / ttl)) + current
end
local function seconds(ms)
  return math.max(0, math.ceil(ms / 1000))
end

local totalHits
local blocked = 1
if blockedUntil > now then
  totalHits = estimate() + 1
else
  current = current + 1
  totalHits = estimate()
  if totalHits > limit then
    -- The refused hit does not count against the caller's budget.
    current = current - 1
    blockedUntil = now + math.max(blockDuration, 1)
  else
    blocked = 0
  end
end

redis.call('HSET', KEYS[1], 'start', start, 'current', current, 'previous', previous,
  'blockedUntil', blockedUntil, 'ttl', ttl)
redis.call('PEXPIRE', KEYS[1], math.max(start + 2 * ttl, blockedUntil) - now)

local timeToBlockExpire = 0
if blocked == 1 then timeToBlockExpire = seconds(blockedUntil - now) end
return { totalHits, seconds(start + ttl - now), blocked, timeToBlockExpire }
`;

type ScriptClient = Redis & {
  [COMMAND](key: string, ...args: (string | number)[]): Promise<[number, number, number, number]>;
};

/**
 * The sliding-window rate-limit counters of SlidingWindowThrottlerStorage, shared by every
 * replica through Redis: one script call per hit, under `<prefix><namespace>:<key>`. Rejects
 * when Redis fails; FailOpenThrottlerStorage decides what happens then.
 */
export class RedisSlidingWindowStorage implements ThrottlerStorage {
  constructor(
    private readonly redis: RedisConnection,
    private readonly namespace: string,
    /** Tests only: replaces the Redis server's time. */
    private readonly testClock?: Clock,
  ) {}

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    _throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const args: (string | number)[] = [ttl, limit, blockDuration];
    if (this.testClock) args.push(this.testClock.now());
    const [totalHits, timeToExpire, isBlocked, timeToBlockExpire] = await this.client()[COMMAND](
      this.redis.key(this.namespace, key),
      ...args,
    );
    return { totalHits, timeToExpire, isBlocked: isBlocked === 1, timeToBlockExpire };
  }

  /** The command connection, with the script defined on it once (the connection outlives us). */
  private client(): ScriptClient {
    const client = this.redis.command as ScriptClient;
    if (typeof client[COMMAND] !== 'function') {
      client.defineCommand(COMMAND, { numberOfKeys: 1, lua: SLIDING_WINDOW_SCRIPT });
    }
    return client;
  }
}
