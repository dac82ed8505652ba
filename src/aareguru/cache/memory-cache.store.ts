import type { Clock } from '../../common/clock';
import type { CacheEntry, CacheStore } from './cache-store.interface';

interface Slot {
  entry: CacheEntry;
  expiresAt: number;
}

/** In-process store: a Map kept in least-recently-used order and bounded in entries. */
export class MemoryCacheStore implements CacheStore {
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly maxEntries: number,
    private readonly clock: Clock,
  ) {}

  get<T>(key: string): Promise<CacheEntry<T> | undefined> {
    const slot = this.slots.get(key);
    if (!slot) return Promise.resolve(undefined);
    this.slots.delete(key);
    if (slot.expiresAt <= this.clock.now()) return Promise.resolve(undefined);
    this.slots.set(key, slot); // most recently used goes last
    return Promise.resolve(slot.entry as CacheEntry<T>);
  }

  set<T>(key: string, entry: CacheEntry<T>, retainMs: number): Promise<void> {
    this.slots.delete(key);
    this.slots.set(key, { entry, expiresAt: this.clock.now() + retainMs });
    while (this.slots.size > this.maxEntries) {
      const oldest = this.slots.keys().next().value as string;
      this.slots.delete(oldest);
    }
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    this.slots.delete(key);
    return Promise.resolve();
  }

  list(): Promise<{ key: string; storedAt: number }[]> {
    const now = this.clock.now();
    return Promise.resolve(
      [...this.slots.entries()]
        .filter(([, slot]) => slot.expiresAt > now)
        .map(([key, slot]) => ({ key, storedAt: slot.entry.storedAt })),
    );
  }

  size(): Promise<number> {
    return Promise.resolve(this.slots.size);
  }

  clear(): Promise<void> {
    this.slots.clear();
    return Promise.resolve();
  }
}
