import { Logger, OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Counter, Gauge } from 'prom-client';
import type { Clock } from '../../common/clock';
import type { RedisConnection } from '../../redis/redis-connection';
import type { CacheEntry, CacheStore, StoredEntryInfo } from './cache-store.interface';
import type { MemoryCacheStore } from './memory-cache.store';

export interface RedisCacheOptions {
  /** A value younger than this is served from this replica's copy without asking Redis. */
  ttlMs: number;
  /** How much older than the TTL a value is still kept for stale serving. */
  staleMaxMs: number;
  maxEntries: number;
  /** Budget for the JSON size of all values written to Redis, by every replica together. */
  maxBytes: number;
}

export interface RedisCacheMetrics {
  /** Entries the shared level let go early (capacity) or would not keep (oversize). */
  evictions: Counter<'reason'>;
  /** Bytes held by the shared level (this replica's own while Redis is unreachable). */
  bytes: Gauge;
  /** Entries held by the shared level, likewise. */
  entries: Gauge;
}

/** The channel invalidations go out on (prefixed by RedisConnection). */
export const INVALIDATE_CHANNEL = 'cache-invalidate';

// The shared level. Values: c:{key} → {"storedAt":…,"value":…} with PX = retention. Index, all
// with a TTL renewed on every write: an expiry-ordered set of keys (its order is the eviction
// order, oldest first), bytes and storedAt per key, and the total of the bytes. Entries are
// timed on Redis' clock (TIME), so replica clocks do not matter to what expires when.
// KEYS: 1 index (zset key → expires at), 2 bytes (hash), 3 stored-at (hash), 4 total bytes.
// ARGV[1]: the value key prefix (values of other keys are dropped while making room).

const COMMON = `
local index, sizes, stored, total = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local valuePrefix = ARGV[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function drop(key)
  local bytes = redis.call('HGET', sizes, key)
  if bytes then redis.call('DECRBY', total, bytes) end
  redis.call('HDEL', sizes, key)
  redis.call('HDEL', stored, key)
  redis.call('ZREM', index, key)
  redis.call('DEL', valuePrefix .. key)
end
-- Entries past their retention (their values expired by themselves) leave the index.
for _, key in ipairs(redis.call('ZRANGEBYSCORE', index, '-inf', now)) do drop(key) end
local function held() return tonumber(redis.call('GET', total) or '0') end
`;

/**
 * Adds an entry, dropping the oldest until it fits both budgets; a value larger than the whole
 * byte budget is refused (and the older value of its key goes too, as in memory).
 * ARGV: 2 key, 3 payload, 4 bytes, 5 storedAt, 6 retain ms, 7 max entries, 8 max bytes.
 * Returns {kept (1) or refused (0), evicted, bytes held, entries held}.
 */
const SET = `${COMMON}
local key, bytes, retain = ARGV[2], tonumber(ARGV[4]), tonumber(ARGV[6])
local maxEntries, maxBytes = tonumber(ARGV[7]), tonumber(ARGV[8])
drop(key)
if bytes > maxBytes then return {0, 0, held(), redis.call('ZCARD', index)} end
local evicted = 0
while redis.call('ZCARD', index) >= maxEntries or held() + bytes > maxBytes do
  local oldest = redis.call('ZRANGE', index, 0, 0)[1]
  if not oldest then break end
  drop(oldest)
  evicted = evicted + 1
end
redis.call('SET', valuePrefix .. key, ARGV[3], 'PX', retain)
redis.call('ZADD', index, now + retain, key)
redis.call('HSET', sizes, key, bytes)
redis.call('HSET', stored, key, ARGV[5])
redis.call('INCRBY', total, bytes)
for _, indexKey in ipairs(KEYS) do
  if redis.call('PTTL', indexKey) < retain then redis.call('PEXPIRE', indexKey, retain) end
end
return {1, evicted, held(), redis.call('ZCARD', index)}
`;

/** Deletes the keys in ARGV[2..]; returns {deleted, bytes held, entries held}. */
const DELETE = `${COMMON}
local deleted = 0
for i = 2, #ARGV do
  if redis.call('ZSCORE', index, ARGV[i]) then deleted = deleted + 1 end
  drop(ARGV[i])
end
return {deleted, held(), redis.call('ZCARD', index)}
`;

/** Every entry, oldest first: {key, bytes, storedAt, key, bytes, storedAt, …}. */
const LIST = `${COMMON}
local listed = {}
for _, key in ipairs(redis.call('ZRANGE', index, 0, -1)) do
  table.insert(listed, key)
  table.insert(listed, redis.call('HGET', sizes, key) or '0')
  table.insert(listed, redis.call('HGET', stored, key) or '0')
end
return listed
`;

/** {bytes held, entries held}. */
const USAGE = `${COMMON}
return {held(), redis.call('ZCARD', index)}
`;

type CacheCommands = Redis & {
  aareguruCacheSet(...args: (string | number)[]): Promise<[number, number, number, number]>;
  aareguruCacheDelete(...args: string[]): Promise<[number, number, number]>;
  aareguruCacheList(...args: string[]): Promise<string[]>;
  aareguruCacheUsage(...args: string[]): Promise<[number, number]>;
};

/**
 * Two levels: this replica's own bounded memory store in front of Redis. A value still fresh in
 * the near level costs no Redis round trip; otherwise Redis is read and its newer value copied
 * near. Writes go to both. The shared level is bounded in entries and bytes by one Lua script
 * (Redis' maxmemory is not ours to set), and lists, sizes and invalidations are fleet-wide: an
 * invalidation is published so every replica drops its near copies too.
 *
 * When Redis fails, the replica keeps serving and storing in its near level
 * (`redis_fallbacks_total{use="cache"}`); no call fails because of Redis.
 */
export class RedisCacheStore implements CacheStore, OnModuleInit {
  private readonly logger = new Logger(RedisCacheStore.name);
  private readonly defined = new WeakSet<Redis>();

  constructor(
    private readonly redis: RedisConnection,
    private readonly near: MemoryCacheStore,
    private readonly options: RedisCacheOptions,
    private readonly clock: Clock,
    private readonly metrics: RedisCacheMetrics,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.redis.subscribe(INVALIDATE_CHANNEL, (message) => void this.onInvalidate(message));
  }

  async get<T>(key: string): Promise<CacheEntry<T> | undefined> {
    const near = await this.near.get<T>(key);
    if (near && this.clock.now() - near.storedAt < this.options.ttlMs) return near;
    let shared: CacheEntry<T>;
    try {
      const raw = await this.commands().get(this.valueKey(key));
      if (raw === null) return near;
      shared = JSON.parse(raw) as CacheEntry<T>;
    } catch (error) {
      this.redis.fellBack('cache', error);
      return near;
    }
    if (near && near.storedAt >= shared.storedAt) return near;
    await this.keepNear(key, shared);
    return shared;
  }

  async set<T>(key: string, entry: CacheEntry<T>, retainMs: number): Promise<void> {
    await this.near.set(key, entry, retainMs);
    const valueJson = JSON.stringify(entry.value) ?? 'null';
    const bytes = Math.max(1, Buffer.byteLength(valueJson));
    const payload = `{"storedAt":${entry.storedAt},"value":${valueJson}}`;
    try {
      const [kept, evicted, held, entries] = await this.commands().aareguruCacheSet(
        ...this.scriptKeys(),
        key,
        payload,
        bytes,
        entry.storedAt,
        Math.max(1, Math.ceil(retainMs)),
        this.options.maxEntries,
        this.options.maxBytes,
      );
      if (kept === 0) this.metrics.evictions.inc({ reason: 'oversize' });
      if (evicted > 0) this.metrics.evictions.inc({ reason: 'capacity' }, evicted);
      this.recordUsage(held, entries);
    } catch (error) {
      this.redis.fellBack('cache', error);
    }
  }

  async delete(key: string): Promise<void> {
    await this.deleteMatching(new RegExp(`^${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  }

  async deleteMatching(pattern: RegExp): Promise<number> {
    const nearKeys = (await this.near.list()).map((entry) => entry.key);
    await this.near.deleteMatching(pattern);
    let sharedKeys: string[] = [];
    try {
      sharedKeys = (await this.listShared())
        .map((entry) => entry.key)
        .filter((k) => pattern.test(k));
      await this.deleteKeys(sharedKeys);
      // Every replica (this one included) drops its near copies, also of keys Redis no longer has.
      await this.redis.publish(INVALIDATE_CHANNEL, JSON.stringify({ pattern: pattern.source }));
    } catch (error) {
      this.redis.fellBack('cache', error);
    }
    return new Set([...sharedKeys, ...nearKeys.filter((k) => pattern.test(k))]).size;
  }

  async list(): Promise<StoredEntryInfo[]> {
    try {
      return await this.listShared();
    } catch (error) {
      this.redis.fellBack('cache', error);
      return this.near.list();
    }
  }

  async size(): Promise<number> {
    const usage = await this.usage();
    if (usage) return usage.entries;
    const near = await this.near.size();
    this.metrics.entries.set(near);
    return near;
  }

  async bytes(): Promise<number> {
    const usage = await this.usage();
    if (usage) return usage.bytes;
    const near = await this.near.bytes();
    this.metrics.bytes.set(near);
    return near;
  }

  async clear(): Promise<void> {
    await this.deleteMatching(/(?:)/);
  }

  private async listShared(): Promise<StoredEntryInfo[]> {
    const flat = await this.commands().aareguruCacheList(...this.scriptKeys());
    const listed: StoredEntryInfo[] = [];
    for (let i = 0; i < flat.length; i += 3) {
      listed.push({ key: flat[i], bytes: Number(flat[i + 1]), storedAt: Number(flat[i + 2]) });
    }
    return listed;
  }

  private async usage(): Promise<{ entries: number; bytes: number } | undefined> {
    try {
      const [bytes, entries] = await this.commands().aareguruCacheUsage(...this.scriptKeys());
      this.recordUsage(bytes, entries);
      return { entries, bytes };
    } catch (error) {
      this.redis.fellBack('cache', error);
      return undefined;
    }
  }

  private async deleteKeys(keys: string[]): Promise<void> {
    for (const key of keys) await this.near.delete(key);
    if (keys.length === 0) return;
    try {
      const [, held, entries] = await this.commands().aareguruCacheDelete(
        ...this.scriptKeys(),
        ...keys,
      );
      this.recordUsage(held, entries);
    } catch (error) {
      this.redis.fellBack('cache', error);
    }
  }

  /** Keeps a value read from Redis near, for what is left of its retention. */
  private async keepNear<T>(key: string, entry: CacheEntry<T>): Promise<void> {
    // The retention the writer gave it is the TTL plus the stale window; see UpstreamCacheService.
    const left = entry.storedAt + this.retainMs - this.clock.now();
    if (left > 0) await this.near.set(key, entry, left);
  }

  private async onInvalidate(message: string): Promise<void> {
    try {
      const { pattern } = JSON.parse(message) as { pattern: string };
      await this.near.deleteMatching(new RegExp(pattern));
    } catch (error) {
      this.logger.warn({ err: error }, 'ignoring a malformed cache invalidation');
    }
  }

  private get retainMs(): number {
    return this.options.ttlMs + this.options.staleMaxMs;
  }

  private valueKey(key: string): string {
    return this.redis.key('c', key);
  }

  /** The index keys, then the value key prefix, as every script takes them. */
  private scriptKeys(): string[] {
    return [
      this.redis.key('cache-index'),
      this.redis.key('cache-bytes'),
      this.redis.key('cache-stored-at'),
      this.redis.key('cache-total-bytes'),
      this.redis.key('c', ''),
    ];
  }

  private recordUsage(bytes: number, entries: number): void {
    this.metrics.bytes.set(bytes);
    this.metrics.entries.set(entries);
  }

  private commands(): CacheCommands {
    const client = this.redis.command;
    if (!this.defined.has(client)) {
      client.defineCommand('aareguruCacheSet', { numberOfKeys: 4, lua: SET });
      client.defineCommand('aareguruCacheDelete', { numberOfKeys: 4, lua: DELETE });
      client.defineCommand('aareguruCacheList', { numberOfKeys: 4, lua: LIST });
      client.defineCommand('aareguruCacheUsage', { numberOfKeys: 4, lua: USAGE });
      this.defined.add(client);
    }
    return client as CacheCommands;
  }
}
