import type Redis from 'ioredis';
import type { RedisConnection } from '../redis/redis-connection';

/** Injection token of the {@link PollLease}. */
export const POLL_LEASE = Symbol('POLL_LEASE');

/**
 * Who polls upstream for the subscriptions: one process for the whole deployment. Without Redis
 * the single process always holds it; with Redis, the replica that took the lease and keeps
 * renewing it, until it stops or dies and the lease runs out.
 */
export interface PollLease {
  /** False for the single process's lease: always held, nothing to renew. */
  readonly shared: boolean;
  /** Takes the lease when free or renews it when held; true while this process holds it. */
  hold(): Promise<boolean>;
  /** Gives it up (shutdown), so another replica takes over without waiting for it to expire. */
  release(): Promise<void>;
}

export class LocalPollLease implements PollLease {
  readonly shared = false;

  hold(): Promise<boolean> {
    return Promise.resolve(true);
  }

  release(): Promise<void> {
    return Promise.resolve();
  }
}

/** KEYS: the lease. ARGV: this instance, lease ms. Takes it when free, renews it when ours. */
const HOLD_SCRIPT = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
  return 1
end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', tonumber(ARGV[2]))
return 1`;

/** KEYS: the lease. ARGV: this instance. Deletes it only when ours. */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

type Scripted = Redis & {
  pollLeaseHold(...args: (string | number)[]): Promise<number>;
  pollLeaseRelease(...args: (string | number)[]): Promise<number>;
};

/** `poll-lease` in Redis: this replica's instance id, expiring after `leaseMs` unless renewed. */
export class RedisPollLease implements PollLease {
  readonly shared = true;
  private defined?: Scripted;

  constructor(
    private readonly redis: RedisConnection,
    private readonly leaseMs: number,
  ) {}

  async hold(): Promise<boolean> {
    const held = await this.client.pollLeaseHold(this.key, this.redis.instanceId, this.leaseMs);
    return held === 1;
  }

  async release(): Promise<void> {
    await this.client.pollLeaseRelease(this.key, this.redis.instanceId);
  }

  private get key(): string {
    return this.redis.key('poll-lease');
  }

  private get client(): Scripted {
    if (this.defined) return this.defined;
    const client = this.redis.command;
    client.defineCommand('pollLeaseHold', { numberOfKeys: 1, lua: HOLD_SCRIPT });
    client.defineCommand('pollLeaseRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
    this.defined = client as Scripted;
    return this.defined;
  }
}
