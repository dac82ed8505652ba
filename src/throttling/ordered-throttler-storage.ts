import type { ThrottlerStorage } from '@nestjs/throttler';

export type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** One limit a request counts against, as ThrottlerStorage.increment takes it. */
export interface LimitHit {
  key: string;
  ttl: number;
  limit: number;
  blockDuration: number;
  throttlerName: string;
}

/**
 * A storage that counts all the limits of one request at once (one Redis round trip instead of
 * one per limit), with the guard's semantics: in order, stopping at the first refusal, whose
 * record is the last one returned; the limits after it are not counted.
 */
export interface OrderedThrottlerStorage extends ThrottlerStorage {
  incrementInOrder(hits: LimitHit[]): Promise<ThrottlerStorageRecord[]>;
}

export function countsInOrder(storage: ThrottlerStorage): storage is OrderedThrottlerStorage {
  return typeof (storage as Partial<OrderedThrottlerStorage>).incrementInOrder === 'function';
}

/** incrementInOrder for any storage: one increment after the other. */
export async function incrementEachInOrder(
  storage: ThrottlerStorage,
  hits: LimitHit[],
): Promise<ThrottlerStorageRecord[]> {
  const records: ThrottlerStorageRecord[] = [];
  for (const hit of hits) {
    const record = await storage.increment(
      hit.key,
      hit.ttl,
      hit.limit,
      hit.blockDuration,
      hit.throttlerName,
    );
    records.push(record);
    if (record.isBlocked) break;
  }
  return records;
}
