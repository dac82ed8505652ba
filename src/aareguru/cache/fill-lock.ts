/**
 * Who fetches a missing cache key when several processes share one cache. In one process the
 * in-flight map of UpstreamCacheService already makes concurrent misses share one fetch, so the
 * local lock always leads; across replicas (Redis) one replica leads and the others wait for it.
 */
export interface FillLock {
  /** A lease when this process is to fetch `key`; null when another replica fetches it now. */
  acquire(key: string): Promise<FillLease | null>;
  /** Waits for the fill another replica leads to end; only after `acquire` gave null. */
  awaitFill(key: string): Promise<FillOutcome>;
}

/** Held by the process that fetches; ending it lets the waiters go. Neither call throws. */
export interface FillLease {
  /** The value is in the store: waiters re-read it. */
  filled(): Promise<void>;
  /** The fetch failed: waiters serve their stale value or this error instead of fetching. */
  failed(error: unknown): Promise<void>;
}

export type FillOutcome =
  /** The leader stored a value: read the store again. */
  | { kind: 'filled' }
  /** The leader's fetch failed with this error. */
  | { kind: 'failed'; error: Error }
  /** The lock went without a word (its holder died, or the notice was missed): look again. */
  | { kind: 'gone' }
  /** The lock cannot be followed (Redis failed, or the wait ran out): fetch yourself. */
  | { kind: 'unavailable' };

export const FILL_LOCK = Symbol('FILL_LOCK');

const LEADING: FillLease = {
  filled: () => Promise.resolve(),
  failed: () => Promise.resolve(),
};

/** One process: it always leads (its own concurrent misses are joined in memory before this). */
export class LocalFillLock implements FillLock {
  acquire(): Promise<FillLease> {
    return Promise.resolve(LEADING);
  }

  awaitFill(): Promise<FillOutcome> {
    return Promise.resolve({ kind: 'unavailable' });
  }
}
