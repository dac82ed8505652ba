import { LRUCache } from 'lru-cache';
import type { Counter, Gauge } from 'prom-client';
import type { Clock } from '../../common/clock';
import type { CacheEntry, CacheStore, StoredEntryInfo } from './cache-store.interface';

export interface MemoryCacheBounds {
  maxEntries: number;
  /** Budget for the JSON size of all values held. */
  maxBytes: number;
}

export interface MemoryCacheMetrics {
  evictions: Counter<'reason'>;
  bytes: Gauge;
  entries: Gauge;
}

interface Slot {
  entry: CacheEntry;
  expiresAt: number;
  bytes: number;
}

/**
 * The JSON size of a value in bytes, measured once when it is stored: cheap, and of the order of
 * the heap the value takes (parsed upstream answers take about one and a half times as much).
 */
export function jsonBytes(value: unknown): number {
  // The LRU needs a positive size; `undefined` has no JSON at all.
  return Math.max(1, Buffer.byteLength(JSON.stringify(value) ?? ''));
}

/**
 * In-process store, bounded twice: in entries and in bytes. When either bound is reached, the
 * least recently used entries go until the new one fits. A value larger than the whole byte
 * budget is not kept (its caller still gets it; it is simply not cached).
 */
export class MemoryCacheStore implements CacheStore {
  private readonly slots: LRUCache<string, Slot>;

  constructor(
    bounds: MemoryCacheBounds,
    private readonly clock: Clock,
    private readonly metrics: MemoryCacheMetrics,
  ) {
    this.slots = new LRUCache<string, Slot>({
      max: bounds.maxEntries,
      maxSize: bounds.maxBytes,
      // Replaced and deleted entries are not evictions; only those pushed out by a bound are.
      dispose: (_slot, _key, reason) => {
        if (reason === 'evict') this.metrics.evictions.inc({ reason: 'capacity' });
      },
    });
  }

  get<T>(key: string): Promise<CacheEntry<T> | undefined> {
    const slot = this.slots.get(key); // marks it most recently used
    if (!slot) return Promise.resolve(undefined);
    if (slot.expiresAt <= this.clock.now()) {
      this.remove(key);
      return Promise.resolve(undefined);
    }
    return Promise.resolve(slot.entry as CacheEntry<T>);
  }

  set<T>(key: string, entry: CacheEntry<T>, retainMs: number): Promise<void> {
    const bytes = jsonBytes(entry.value);
    const status: LRUCache.Status<string, Slot> = {};
    this.slots.set(
      key,
      { entry, expiresAt: this.clock.now() + retainMs, bytes },
      { size: bytes, status },
    );
    // Too big for the whole budget: not kept, and any older value of the key is gone too.
    if (status.maxEntrySizeExceeded) this.metrics.evictions.inc({ reason: 'oversize' });
    this.recordUsage();
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    this.remove(key);
    return Promise.resolve();
  }

  async deleteMatching(pattern: RegExp): Promise<number> {
    const keys = (await this.list()).map((entry) => entry.key).filter((key) => pattern.test(key));
    for (const key of keys) this.remove(key);
    return keys.length;
  }

  list(): Promise<StoredEntryInfo[]> {
    const now = this.clock.now();
    const listed: StoredEntryInfo[] = [];
    // Least recently used first; peek leaves the order alone.
    for (const key of this.slots.rkeys()) {
      const slot = this.slots.peek(key);
      if (slot && slot.expiresAt > now) {
        listed.push({ key, storedAt: slot.entry.storedAt, bytes: slot.bytes });
      }
    }
    return Promise.resolve(listed);
  }

  size(): Promise<number> {
    return Promise.resolve(this.slots.size);
  }

  bytes(): Promise<number> {
    return Promise.resolve(this.slots.calculatedSize);
  }

  clear(): Promise<void> {
    this.slots.clear();
    this.recordUsage();
    return Promise.resolve();
  }

  private remove(key: string): void {
    this.slots.delete(key);
    this.recordUsage();
  }

  private recordUsage(): void {
    this.metrics.bytes.set(this.slots.calculatedSize);
    this.metrics.entries.set(this.slots.size);
  }
}
