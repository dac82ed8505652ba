import { Logger, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { RedisConnection } from '../../redis/redis-connection';
import { UpstreamError, UpstreamFailureKind } from '../aareguru.errors';
import type { FillLease, FillLock, FillOutcome } from './fill-lock';

export interface RedisFillLockOptions {
  /** How long a lock lives without renewal: how soon waiters notice that its holder died. */
  lockMs: number;
  /** How often a waiter checks that the lock is still held, in case a notice was missed. */
  pollMs: number;
  /** The longest a waiter waits before fetching itself (a live holder gives up before that). */
  maxWaitMs: number;
}

/** The channel fill notices go out on (prefixed by RedisConnection). */
export const FILL_CHANNEL = 'cache-fill';

/** What a leader tells the waiters of other replicas when its fill ends. */
export type FillNotice =
  | { key: string; outcome: 'filled' }
  | { key: string; outcome: 'released' }
  | { key: string; outcome: 'failed'; error: SharedUpstreamError };

interface SharedUpstreamError {
  kind: UpstreamFailureKind;
  endpoint: string;
  message: string;
  status?: number;
}

/** Deletes the lock only while it is still ours (it may have expired and been taken since). */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
/** Extends the lock only while it is still ours. */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

type LockCommands = Redis & {
  aareguruFillRelease(key: string, token: string): Promise<number>;
  aareguruFillRenew(key: string, token: string, ms: number): Promise<number>;
};

/**
 * Single-flight across replicas: `SET cl:{key} <token> NX PX lockMs` picks the replica that
 * fetches; it renews the lock while its fetch runs, stores the value, publishes a notice on
 * `cache-fill` and releases the lock (compare-and-delete). The others wait for the notice,
 * checking now and then that the lock is still held, so a holder that died (its lock expired)
 * or a lost notice only delays them. Any Redis failure means: fetch yourself.
 */
export class RedisFillLock implements FillLock, OnModuleInit {
  private readonly logger = new Logger(RedisFillLock.name);
  private readonly waiters = new Map<string, Set<(outcome: FillOutcome) => void>>();
  private readonly defined = new WeakSet<Redis>();

  constructor(
    private readonly redis: RedisConnection,
    private readonly options: RedisFillLockOptions,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.redis.subscribe(FILL_CHANNEL, (message) => this.onNotice(message));
  }

  async acquire(key: string): Promise<FillLease | null> {
    const token = `${this.redis.replicaId}:${randomUUID()}`;
    const lockKey = this.lockKey(key);
    try {
      const set = await this.commands().set(lockKey, token, 'PX', this.options.lockMs, 'NX');
      if (set === null) return null;
    } catch (error) {
      this.redis.fellBack('cache', error);
      return LEADING_ALONE;
    }
    return this.lease(key, lockKey, token);
  }

  awaitFill(key: string): Promise<FillOutcome> {
    return new Promise((resolve) => {
      const deadline = Date.now() + this.options.maxWaitMs;
      let timer: NodeJS.Timeout | undefined;
      let waiters = this.waiters.get(key);
      if (!waiters) this.waiters.set(key, (waiters = new Set()));
      const settle = (outcome: FillOutcome) => {
        clearTimeout(timer);
        waiters.delete(settle);
        if (waiters.size === 0 && this.waiters.get(key) === waiters) this.waiters.delete(key);
        resolve(outcome);
      };
      waiters.add(settle);
      const poll = async () => {
        if (!waiters.has(settle)) return;
        if (Date.now() >= deadline) return settle({ kind: 'unavailable' });
        try {
          if ((await this.commands().exists(this.lockKey(key))) === 0) {
            return settle({ kind: 'gone' });
          }
        } catch (error) {
          this.redis.fellBack('cache', error);
          return settle({ kind: 'unavailable' });
        }
        if (waiters.has(settle)) timer = setTimeout(() => void poll(), this.options.pollMs);
      };
      // The lock may already be gone (released between our SET NX and now): look at once.
      void poll();
    });
  }

  private lease(key: string, lockKey: string, token: string): FillLease {
    const renewal = setInterval(() => {
      this.commands()
        .aareguruFillRenew(lockKey, token, this.options.lockMs)
        .catch((error: unknown) => this.redis.fellBack('cache', error));
    }, this.options.lockMs / 3);
    renewal.unref();
    let ended = false;
    const end = async (notice: FillNotice) => {
      if (ended) return;
      ended = true;
      clearInterval(renewal);
      try {
        // The notice first: a waiter that sees the lock gone before it re-reads the store anyway.
        await this.redis.publish(FILL_CHANNEL, JSON.stringify(notice));
        await this.commands().aareguruFillRelease(lockKey, token);
      } catch (error) {
        // The lock expires by itself; waiters then look again.
        this.redis.fellBack('cache', error);
      }
    };
    return {
      filled: () => end({ key, outcome: 'filled' }),
      failed: (error) => {
        const shared = shareable(error);
        return end(
          shared ? { key, outcome: 'failed', error: shared } : { key, outcome: 'released' },
        );
      },
    };
  }

  private onNotice(message: string): void {
    let notice: FillNotice;
    try {
      notice = JSON.parse(message) as FillNotice;
    } catch {
      this.logger.warn('ignoring a malformed cache fill notice');
      return;
    }
    const waiters = this.waiters.get(notice.key);
    if (!waiters) return;
    const outcome: FillOutcome =
      notice.outcome === 'filled'
        ? { kind: 'filled' }
        : notice.outcome === 'failed'
          ? { kind: 'failed', error: upstreamError(notice.error) }
          : { kind: 'gone' };
    for (const settle of [...waiters]) settle(outcome);
  }

  private lockKey(key: string): string {
    return this.redis.key('cl', key);
  }

  private commands(): LockCommands {
    const client = this.redis.command;
    if (!this.defined.has(client)) {
      client.defineCommand('aareguruFillRelease', { numberOfKeys: 1, lua: RELEASE });
      client.defineCommand('aareguruFillRenew', { numberOfKeys: 1, lua: RENEW });
      this.defined.add(client);
    }
    return client as LockCommands;
  }
}

/** Redis failed when taking the lock: fetch without one, and there is nobody to tell. */
const LEADING_ALONE: FillLease = {
  filled: () => Promise.resolve(),
  failed: () => Promise.resolve(),
};

/**
 * An upstream failure other replicas may serve instead of asking again. "busy" is not: it says
 * this replica's connections were taken, not that upstream failed; the others try themselves.
 */
function shareable(error: unknown): SharedUpstreamError | undefined {
  if (!(error instanceof UpstreamError) || error.kind === 'busy') return undefined;
  return {
    kind: error.kind,
    endpoint: error.endpoint,
    message: error.message,
    status: error.status,
  };
}

function upstreamError(shared: SharedUpstreamError): UpstreamError {
  return new UpstreamError(shared.kind, shared.endpoint, shared.message, shared.status);
}
