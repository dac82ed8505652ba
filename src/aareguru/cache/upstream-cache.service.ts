import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { CLOCK, Clock } from '../../common/clock';
import { CACHE_CONFIG } from '../../config/app-config.module';
import type { CacheConfig } from '../../config/configuration.types';
import { CACHE_EVENTS, UPSTREAM_REFUSED } from '../aareguru.metrics';
import { MissBudgetExceededError } from '../aareguru.errors';
import { currentCaller } from '../upstream-caller';
import { CACHE_STORE, CacheEntry, CacheStore } from './cache-store.interface';
import { FILL_LOCK, FillLease, FillLock } from './fill-lock';
import { MissBudget } from './miss-budget';

export const MISS_BUDGET = Symbol('MISS_BUDGET');

/** Times a miss waits for another replica's fetch before it fetches itself. */
const MAX_FILL_ATTEMPTS = 3;

/** A value with what a caller needs to be honest about its age. */
export interface Cached<T> {
  value: T;
  /** Epoch ms when upstream answered it. */
  fetchedAt: number;
  /** True when upstream failed and an older value is served instead. */
  stale: boolean;
  ageSeconds: number;
}

/** How full the cache is, against its bounds. */
export interface CacheUsage {
  entries: number;
  /** The JSON size of the values held. */
  bytes: number;
  maxEntries: number;
  maxBytes: number;
}

export interface CacheStats {
  hits: number;
  misses: number;
  staleServes: number;
}

/**
 * Read-through cache in front of upstream. Fresh values (younger than the TTL) are served from
 * the store; concurrent misses for one key share a single upstream call (single-flight); when
 * upstream fails, the last good value is served, marked stale, for up to the stale window. A
 * miss that starts a fetch is charged to the caller's per-minute miss budget first.
 *
 * With several replicas on one shared store, the fill lock lets one replica fetch a missing key
 * while the others wait for it. A miss that ends up waiting for another replica is still charged:
 * that is only known after the charge, and the waiter fetches itself when the other replica's
 * fetch cannot be followed, so the budget stays a bound on what a key can make upstream do.
 */
@Injectable()
export class UpstreamCacheService {
  private readonly logger = new Logger(UpstreamCacheService.name);
  private readonly inFlight = new Map<string, Promise<Cached<unknown>>>();
  private readonly counters: CacheStats = { hits: 0, misses: 0, staleServes: 0 };
  private readonly ttlMs: number;
  private readonly staleMaxMs: number;
  private readonly bounds: Pick<CacheUsage, 'maxEntries' | 'maxBytes'>;

  constructor(
    @Inject(CACHE_STORE) private readonly store: CacheStore,
    @Inject(CACHE_CONFIG) config: CacheConfig,
    @Inject(CLOCK) private readonly clock: Clock,
    @InjectMetric(CACHE_EVENTS.name) private readonly cacheEvents: Counter<'result'>,
    @Inject(MISS_BUDGET) private readonly missBudget: MissBudget,
    @InjectMetric(UPSTREAM_REFUSED.name) private readonly refused: Counter<'reason'>,
    @Inject(FILL_LOCK) private readonly fillLock: FillLock,
  ) {
    this.ttlMs = config.ttlSeconds * 1000;
    this.staleMaxMs = config.staleMaxSeconds * 1000;
    this.bounds = { maxEntries: config.maxEntries, maxBytes: config.maxBytes };
  }

  /** Builds a key from an endpoint and its parameters, independent of parameter order. */
  static key(endpoint: string, params: Record<string, string | number> = {}): string {
    const query = Object.keys(params)
      .sort()
      .map((name) => `${name}=${params[name]}`)
      .join('&');
    return query ? `${endpoint}?${query}` : endpoint;
  }

  async getOrFetch<T>(key: string, fetch: () => Promise<T>): Promise<Cached<T>> {
    const pending = this.inFlight.get(key);
    if (pending) return this.join(pending as Promise<Cached<T>>, key, fetch);

    const entry = await this.store.get<T>(key);
    const now = this.clock.now();
    if (entry && now - entry.storedAt < this.ttlMs) {
      this.counters.hits += 1;
      this.cacheEvents.inc({ result: 'hit' });
      return fresh(entry, now);
    }

    // Another caller may have started the fetch while we awaited the store.
    const raced = this.inFlight.get(key);
    if (raced) return this.join(raced as Promise<Cached<T>>, key, fetch);

    // In flight from now on, so that misses arriving while the budget is counted (a Redis round
    // trip with several replicas) join this fetch instead of each being charged.
    const flight: Promise<Cached<T>> = this.lead(key, fetch, entry).finally(() => {
      if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
    });
    this.inFlight.set(key, flight);
    return flight;
  }

  /**
   * Fetches a key from upstream whatever the cache holds and keeps the answer: work done on the
   * server's own account (the circuit's trial), so it is charged to no caller and does not wait
   * for another replica's fetch. Rejects when the fetch fails; the cached value stays.
   */
  async renew<T>(key: string, fetch: () => Promise<T>): Promise<T> {
    const value = await fetch();
    await this.store.set(key, { value, storedAt: this.clock.now() }, this.ttlMs + this.staleMaxMs);
    return value;
  }

  /** Drops one entry (for every replica): the next read asks upstream. */
  forget(key: string): Promise<void> {
    return this.store.delete(key);
  }

  /** Charges the caller's miss budget, then fetches (or follows another replica's fetch). */
  private async lead<T>(
    key: string,
    fetch: () => Promise<T>,
    entry: CacheEntry<T> | undefined,
  ): Promise<Cached<T>> {
    const caller = currentCaller();
    if (caller !== undefined) {
      try {
        await this.missBudget.charge(caller);
      } catch (error) {
        this.refused.inc({ reason: 'key_budget' });
        throw error;
      }
    }
    this.counters.misses += 1;
    this.cacheEvents.inc({ result: 'miss' });
    return this.refresh(key, fetch, entry);
  }

  /**
   * Shares a fetch in flight. When its leader's own miss budget refused it, this caller (maybe of
   * another key) tries on its own account instead of getting someone else's refusal.
   */
  private async join<T>(
    flight: Promise<Cached<T>>,
    key: string,
    fetch: () => Promise<T>,
  ): Promise<Cached<T>> {
    try {
      return await flight;
    } catch (error) {
      if (error instanceof MissBudgetExceededError) return this.getOrFetch(key, fetch);
      throw error;
    }
  }

  stats(): CacheStats {
    return { ...this.counters };
  }

  async usage(): Promise<CacheUsage> {
    const [entries, bytes] = await Promise.all([this.store.size(), this.store.bytes()]);
    return { entries, bytes, ...this.bounds };
  }

  /** Cached keys with their age and size; stale ones (past the TTL) are marked. */
  async entries(): Promise<{ key: string; ageSeconds: number; fresh: boolean; bytes: number }[]> {
    const now = this.clock.now();
    return (await this.store.list()).map(({ key, storedAt, bytes }) => ({
      key,
      ageSeconds: age(now, storedAt),
      fresh: now - storedAt < this.ttlMs,
      bytes,
    }));
  }

  /**
   * Forgets cached answers: all of them, or those of one city (its /current, /today and
   * /history). Returns how many went.
   */
  async invalidate(city?: string): Promise<number> {
    return this.store.deleteMatching(
      city === undefined ? /(?:)/ : new RegExp(`[?&]city=${city}(&|$)`),
    );
  }

  /**
   * Fetches a missing or expired key, unless another replica is fetching it already: then waits
   * for that fetch and re-reads the store, or serves the stale value (or the same error) when it
   * failed. Falls back to fetching itself whenever the other replica's fetch cannot be followed.
   */
  private async refresh<T>(
    key: string,
    fetch: () => Promise<T>,
    previous: CacheEntry<T> | undefined,
  ): Promise<Cached<T>> {
    // Bounded: a lock that keeps vanishing without a value (holders dying) ends in a fetch.
    for (let attempt = 0; attempt < MAX_FILL_ATTEMPTS; attempt += 1) {
      const lease = await this.fillLock.acquire(key);
      if (lease) return this.fetchAndStore(key, fetch, previous, lease);
      const outcome = await this.fillLock.awaitFill(key);
      if (outcome.kind === 'failed') return this.staleOr(key, previous, outcome.error);
      if (outcome.kind === 'unavailable') break;
      const entry = await this.store.get<T>(key);
      const now = this.clock.now();
      if (entry && now - entry.storedAt < this.ttlMs) return fresh(entry, now);
      // Filled but not kept (larger than the budget): nobody can share it, fetch.
      if (outcome.kind === 'filled') break;
    }
    return this.fetchAndStore(key, fetch, previous, undefined);
  }

  private async fetchAndStore<T>(
    key: string,
    fetch: () => Promise<T>,
    previous: CacheEntry<T> | undefined,
    lease: FillLease | undefined,
  ): Promise<Cached<T>> {
    let value: T;
    try {
      value = await fetch();
    } catch (error) {
      await lease?.failed(error);
      return this.staleOr(key, previous, error);
    }
    const storedAt = this.clock.now();
    try {
      await this.store.set(key, { value, storedAt }, this.ttlMs + this.staleMaxMs);
    } finally {
      // Waiters re-read the store either way (and fetch themselves if the value is not there).
      await lease?.filled();
    }
    return { value, fetchedAt: storedAt, stale: false, ageSeconds: 0 };
  }

  /** The last good value, marked stale, while it is within the stale window; else the error. */
  private staleOr<T>(key: string, previous: CacheEntry<T> | undefined, error: unknown): Cached<T> {
    const now = this.clock.now();
    if (previous && now - previous.storedAt <= this.ttlMs + this.staleMaxMs) {
      this.counters.staleServes += 1;
      this.cacheEvents.inc({ result: 'stale' });
      this.logger.warn({ key, ageSeconds: age(now, previous.storedAt) }, 'serving stale value');
      return {
        value: previous.value,
        fetchedAt: previous.storedAt,
        stale: true,
        ageSeconds: age(now, previous.storedAt),
      };
    }
    throw error;
  }
}

function fresh<T>(entry: CacheEntry<T>, now: number): Cached<T> {
  return {
    value: entry.value,
    fetchedAt: entry.storedAt,
    stale: false,
    ageSeconds: age(now, entry.storedAt),
  };
}

function age(now: number, storedAt: number): number {
  return Math.max(0, Math.round((now - storedAt) / 1000));
}
