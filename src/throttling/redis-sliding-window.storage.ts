import type Redis from 'ioredis';
import type { Clock } from '../common/clock';
import type { RedisConnection } from '../redis/redis-connection';
import type {
  LimitHit,
  OrderedThrottlerStorage,
  ThrottlerStorageRecord,
} from './ordered-throttler-storage';

/** The script's name on the ioredis client (EVALSHA, EVAL again after a NOSCRIPT). */
const COMMAND = 'aareguruSlidingWindowHit';

/**
 * SlidingWindowThrottlerStorage's step, in Redis, for one or more limits of one request in one
 * round trip: per limit one hash, read, rolled forward, counted and written back atomically, in
 * order, stopping at the first refusal (the limits after it are not counted, as when the guard
 * counts them one by one). Time is the Redis server's (TIME), so replicas' clocks never matter;
 * ARGV[1] replaces it in tests only. A hash lives until no hit of the last two windows and no
 * block is left, as the in-process sweep forgets it.
 *
 * KEYS: the counters. ARGV: [now (ms) or ''], then per key: window (ms), limit, block (ms).
 * Returns per limit counted: totalHits, timeToExpire (s), isBlocked (0/1), timeToBlockExpire (s).
 */
export const SLIDING_WINDOW_SCRIPT = `
local now = tonumber(ARGV[1])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end

local function seconds(ms)
  return math.max(0, math.ceil(ms / 1000))
end

local function hit(key, ttl, limit, blockDuration)
  local saved = redis.call('HMGET', key, 'start', 'current', 'previous', 'blockedUntil', 'ttl')
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

  redis.call('HSET', key, 'start', start, 'current', current, 'previous', previous,
    'blockedUntil', blockedUntil, 'ttl', ttl)
  redis.call('PEXPIRE', key, math.max(start + 2 * ttl, blockedUntil) - now)

  local timeToBlockExpire = 0
  if blocked == 1 then timeToBlockExpire = seconds(blockedUntil - now) end
  return totalHits, seconds(start + ttl - now), blocked, timeToBlockExpire
end

local records = {}
for i, key in ipairs(KEYS) do
  local at = 3 * i - 1
  local totalHits, timeToExpire, blocked, timeToBlockExpire =
    hit(key, tonumber(ARGV[at]), tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2]))
  table.insert(records, totalHits)
  table.insert(records, timeToExpire)
  table.insert(records, blocked)
  table.insert(records, timeToBlockExpire)
  if blocked == 1 then break end
end
return records
`;

type ScriptClient = Redis & {
  [COMMAND](keyCount: number, ...keysAndArgs: (string | number)[]): Promise<number[]>;
};

/**
 * The sliding-window rate-limit counters of SlidingWindowThrottlerStorage, shared by every
 * replica through Redis: one script call per request, under `<prefix><namespace>:<key>`. Rejects
 * when Redis fails; FailOpenThrottlerStorage decides what happens then.
 */
export class RedisSlidingWindowStorage implements OrderedThrottlerStorage {
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
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const [record] = await this.incrementInOrder([
      { key, ttl, limit, blockDuration, throttlerName },
    ]);
    return record;
  }

  async incrementInOrder(hits: LimitHit[]): Promise<ThrottlerStorageRecord[]> {
    const keys = hits.map((hit) => this.redis.key(this.namespace, hit.key));
    const args = hits.flatMap((hit) => [hit.ttl, hit.limit, hit.blockDuration]);
    const reply = await this.client()[COMMAND](
      keys.length,
      ...keys,
      this.testClock ? this.testClock.now() : '',
      ...args,
    );
    const records: ThrottlerStorageRecord[] = [];
    for (let i = 0; i < reply.length; i += 4) {
      records.push({
        totalHits: reply[i],
        timeToExpire: reply[i + 1],
        isBlocked: reply[i + 2] === 1,
        timeToBlockExpire: reply[i + 3],
      });
    }
    return records;
  }

  /** The command connection, with the script defined on it once (the connection outlives us). */
  private client(): ScriptClient {
    const client = this.redis.command as ScriptClient;
    if (typeof client[COMMAND] !== 'function') {
      client.defineCommand(COMMAND, { lua: SLIDING_WINDOW_SCRIPT });
    }
    return client;
  }
}
