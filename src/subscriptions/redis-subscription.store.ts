import type Redis from 'ioredis';
import type { RedisConnection } from '../redis/redis-connection';
import type { Fingerprints } from './change-detection';
import type { AddOutcome, SubscriptionLimits, SubscriptionStore } from './subscription-store';

/**
 * KEYS: the subscriber's URIs (set), owners (hash subscriber → key label), the key's count, the
 * subscribed URIs (set). ARGV: subscriber, key label, per subscriber, per key, the prefix of the
 * per-URI sets, then the URIs. Adds those not held yet, all or none.
 */
const ADD_SCRIPT = `
local fresh = {}
for i = 6, #ARGV do
  if redis.call('SISMEMBER', KEYS[1], ARGV[i]) == 0 then table.insert(fresh, ARGV[i]) end
end
if #fresh == 0 then return 'exists' end
if redis.call('SCARD', KEYS[1]) + #fresh > tonumber(ARGV[3]) then return 'subscriber-full' end
if tonumber(redis.call('GET', KEYS[3]) or '0') + #fresh > tonumber(ARGV[4]) then return 'key-full' end
for _, uri in ipairs(fresh) do
  redis.call('SADD', KEYS[1], uri)
  redis.call('SADD', ARGV[5] .. uri, ARGV[1])
  redis.call('SADD', KEYS[4], uri)
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('INCRBY', KEYS[3], #fresh)
return 'added'`;

/**
 * KEYS: the subscriber's URIs, owners, the subscribed URIs. ARGV: subscriber, the prefix of the
 * per-URI sets, the prefix of the per-key counts, then the URIs to remove (none: all of them).
 * Returns how many were removed.
 */
const REMOVE_SCRIPT = `
local uris = {}
if #ARGV > 3 then
  for i = 4, #ARGV do
    if redis.call('SREM', KEYS[1], ARGV[i]) == 1 then table.insert(uris, ARGV[i]) end
  end
else
  uris = redis.call('SMEMBERS', KEYS[1])
  redis.call('DEL', KEYS[1])
end
if #uris == 0 then return 0 end
for _, uri in ipairs(uris) do
  redis.call('SREM', ARGV[2] .. uri, ARGV[1])
  if redis.call('SCARD', ARGV[2] .. uri) == 0 then redis.call('SREM', KEYS[3], uri) end
end
local label = redis.call('HGET', KEYS[2], ARGV[1])
if label then
  local left = redis.call('DECRBY', ARGV[3] .. label, #uris)
  if left <= 0 then redis.call('DEL', ARGV[3] .. label) end
end
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('HDEL', KEYS[2], ARGV[1]) end
return #uris`;

type Scripted = Redis & {
  subscriptionAdd(...args: (string | number)[]): Promise<AddOutcome>;
  subscriptionRemove(...args: (string | number)[]): Promise<number>;
};

/**
 * Subscriptions shared by the replicas:
 * - `sub:s:{subscriber}` the URIs one subscriber holds (set);
 * - `sub:owner` subscriber → key label (hash), `sub:k:{label}` a key's count;
 * - `sub:u:{uri}` the subscribers of a URI (set), `sub:uris` the URIs anyone holds (set);
 * - `sub:fp` the poller's last fingerprints (hash), emptied when nobody is subscribed.
 * They have no TTL: subscriptions end with their session (removed then, or by the poller when it
 * finds the session gone), and the poller's fingerprints are what any later poller compares with.
 */
export class RedisSubscriptionStore implements SubscriptionStore {
  private defined?: Scripted;

  constructor(private readonly redis: RedisConnection) {}

  add(
    subscriber: string,
    keyLabel: string,
    uris: string[],
    limits: SubscriptionLimits,
  ): Promise<AddOutcome> {
    return this.client.subscriptionAdd(
      this.subscriberKey(subscriber),
      this.redis.key('sub', 'owner'),
      this.redis.key('sub', 'k', keyLabel),
      this.redis.key('sub', 'uris'),
      subscriber,
      keyLabel,
      limits.perSubscriber,
      limits.perKey,
      this.redis.key('sub', 'u', ''),
      ...new Set(uris),
    );
  }

  async remove(subscriber: string, uri: string): Promise<boolean> {
    return (await this.removeUris(subscriber, [uri])) === 1;
  }

  removeAll(subscriber: string): Promise<number> {
    return this.removeUris(subscriber, []);
  }

  uris(): Promise<string[]> {
    return this.redis.command.smembers(this.redis.key('sub', 'uris'));
  }

  subscribersOf(uri: string): Promise<string[]> {
    return this.redis.command.smembers(this.redis.key('sub', 'u', uri));
  }

  subscribers(): Promise<string[]> {
    return this.redis.command.hkeys(this.redis.key('sub', 'owner'));
  }

  async count(): Promise<number> {
    const uris = await this.uris();
    if (uris.length === 0) return 0;
    const pipeline = this.redis.command.pipeline();
    for (const uri of uris) pipeline.scard(this.redis.key('sub', 'u', uri));
    const results = (await pipeline.exec()) ?? [];
    return results.reduce((sum, [error, size]) => {
      if (error) throw error;
      return sum + Number(size);
    }, 0);
  }

  fingerprints(): Promise<Fingerprints> {
    return this.redis.command.hgetall(this.redis.key('sub', 'fp'));
  }

  async saveFingerprints(prints: Fingerprints): Promise<void> {
    const key = this.redis.key('sub', 'fp');
    const replace = this.redis.command.multi().del(key);
    if (Object.keys(prints).length > 0) replace.hset(key, prints);
    const results = (await replace.exec()) ?? [];
    for (const [error] of results) if (error) throw error;
  }

  private removeUris(subscriber: string, uris: string[]): Promise<number> {
    return this.client.subscriptionRemove(
      this.subscriberKey(subscriber),
      this.redis.key('sub', 'owner'),
      this.redis.key('sub', 'uris'),
      subscriber,
      this.redis.key('sub', 'u', ''),
      this.redis.key('sub', 'k', ''),
      ...uris,
    );
  }

  private subscriberKey(subscriber: string): string {
    return this.redis.key('sub', 's', subscriber);
  }

  private get client(): Scripted {
    if (this.defined) return this.defined;
    const client = this.redis.command;
    client.defineCommand('subscriptionAdd', { numberOfKeys: 4, lua: ADD_SCRIPT });
    client.defineCommand('subscriptionRemove', { numberOfKeys: 3, lua: REMOVE_SCRIPT });
    this.defined = client as Scripted;
    return this.defined;
  }
}
