import type { ThrottlerStorage } from '@nestjs/throttler';
import { MissBudgetExceededError } from '../aareguru.errors';

const MINUTE_MS = 60_000;

/**
 * How many distinct uncached upstream requests one caller may cause per minute, counted in a
 * sliding window. A caller cycling through history ranges or cities cannot keep the upstream
 * connections (and so uncached data) busy for everyone; cache hits and joins of a fetch already
 * in flight cost nothing, and a refused miss does not count.
 */
export class MissBudget {
  constructor(
    private readonly storage: ThrottlerStorage,
    private readonly perMinute: number,
  ) {}

  /** Counts one miss for `caller`, or throws MissBudgetExceededError without counting it. */
  async charge(caller: string): Promise<void> {
    const record = await this.storage.increment(
      `upstream-miss:${caller}`,
      MINUTE_MS,
      this.perMinute,
      0,
      'upstream-miss',
    );
    if (record.isBlocked) {
      throw new MissBudgetExceededError(caller, Math.max(1, record.timeToExpire));
    }
  }
}
