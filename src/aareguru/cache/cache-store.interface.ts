/** One stored upstream value and when it was fetched. */
export interface CacheEntry<T = unknown> {
  value: T;
  /** Epoch ms. */
  storedAt: number;
}

/** A stored entry as the admin API lists it. */
export interface StoredEntryInfo {
  key: string;
  storedAt: number;
  /** The JSON size of the value, as counted against the store's byte budget. */
  bytes: number;
}

/**
 * Where upstream values are kept. Freshness is decided by the caller from `storedAt`; a store
 * only has to keep an entry for `retainMs` (TTL plus the stale window) and stay bounded. An
 * in-memory store serves one process; a shared store (Redis) can stand in for several replicas.
 */
export interface CacheStore {
  get<T>(key: string): Promise<CacheEntry<T> | undefined>;
  /** May decline to keep a value (one larger than the store's whole budget, say). */
  set<T>(key: string, entry: CacheEntry<T>, retainMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Deletes every entry whose key matches and returns how many went. A shared store deletes them
   * for every replica, copies kept near each replica included.
   */
  deleteMatching(pattern: RegExp): Promise<number>;
  /** Every key with when its value was stored and its size, for the admin API. */
  list(): Promise<StoredEntryInfo[]>;
  /** Number of entries held, for health and metrics. */
  size(): Promise<number>;
  /** Bytes held (the JSON size of the values), for health, the admin API and metrics. */
  bytes(): Promise<number>;
  clear(): Promise<void>;
}

export const CACHE_STORE = Symbol('CACHE_STORE');
