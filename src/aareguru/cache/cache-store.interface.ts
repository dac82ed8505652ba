/** One stored upstream value and when it was fetched. */
export interface CacheEntry<T = unknown> {
  value: T;
  /** Epoch ms. */
  storedAt: number;
}

/**
 * Where upstream values are kept. Freshness is decided by the caller from `storedAt`; a store
 * only has to keep an entry for `retainMs` (TTL plus the stale window) and stay bounded. An
 * in-memory store serves one process; a shared store (Redis) can stand in for several replicas.
 */
export interface CacheStore {
  get<T>(key: string): Promise<CacheEntry<T> | undefined>;
  set<T>(key: string, entry: CacheEntry<T>, retainMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every key with when its value was stored, for the admin API. */
  list(): Promise<{ key: string; storedAt: number }[]>;
  /** Number of entries held, for health and metrics. */
  size(): Promise<number>;
  clear(): Promise<void>;
}

export const CACHE_STORE = Symbol('CACHE_STORE');
