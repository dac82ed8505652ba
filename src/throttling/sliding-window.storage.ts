import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { CLOCK, type Clock } from '../common/clock';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

interface Window {
  /** Start of the current window (ms). */
  start: number;
  /** Hits counted in the current window, and in the one before it. */
  current: number;
  previous: number;
  /** While set and in the future, every hit is refused. */
  blockedUntil: number;
  ttl: number;
}

/** How often records of callers that went quiet are dropped. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Rate-limit counters in O(1) time and memory per caller and limit: a sliding-window counter
 * (the previous window's hits weighted by how much of it still overlaps the sliding window, plus
 * the current window's). The library's default storage keeps one timestamp per hit and filters
 * them on every request, which costs O(hits in the window) per request — with an hourly limit
 * that is millions of entries for a busy key.
 */
@Injectable()
export class SlidingWindowThrottlerStorage implements ThrottlerStorage, OnApplicationShutdown {
  private readonly windows = new Map<string, Window>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(@Inject(CLOCK) private readonly clock: Clock) {
    this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    _throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const now = this.clock.now();
    const window = this.advance(key, ttl, now);
    const timeToExpire = seconds(window.start + ttl - now);

    if (window.blockedUntil > now) {
      return Promise.resolve({
        totalHits: estimate(window, now) + 1,
        timeToExpire,
        isBlocked: true,
        timeToBlockExpire: seconds(window.blockedUntil - now),
      });
    }
    window.current += 1;
    const totalHits = estimate(window, now);
    if (totalHits > limit) {
      // The refused hit does not count against the caller's budget.
      window.current -= 1;
      window.blockedUntil = now + Math.max(blockDuration, 1);
      return Promise.resolve({
        totalHits,
        timeToExpire,
        isBlocked: true,
        timeToBlockExpire: seconds(window.blockedUntil - now),
      });
    }
    return Promise.resolve({ totalHits, timeToExpire, isBlocked: false, timeToBlockExpire: 0 });
  }

  /** Number of callers and limits currently tracked. */
  get size(): number {
    return this.windows.size;
  }

  /** Drops records with nothing left to remember: no hits in the last two windows, no block. */
  sweep(now = this.clock.now()): void {
    for (const [key, window] of this.windows) {
      if (window.blockedUntil <= now && now - window.start >= 2 * window.ttl) {
        this.windows.delete(key);
      }
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.sweeper);
    this.windows.clear();
  }

  /** The caller's window, rolled forward to the one containing `now`. */
  private advance(key: string, ttl: number, now: number): Window {
    let window = this.windows.get(key);
    if (!window || window.ttl !== ttl) {
      window = { start: now, current: 0, previous: 0, blockedUntil: 0, ttl };
      this.windows.set(key, window);
      return window;
    }
    const elapsedWindows = Math.floor((now - window.start) / ttl);
    if (elapsedWindows >= 1) {
      window.previous = elapsedWindows === 1 ? window.current : 0;
      window.current = 0;
      window.start += elapsedWindows * ttl;
    }
    return window;
  }
}

/** Hits in the sliding window that ends now. */
function estimate(window: Window, now: number): number {
  const overlap = 1 - (now - window.start) / window.ttl;
  return Math.floor(window.previous * overlap) + window.current;
}

function seconds(ms: number): number {
  return Math.max(0, Math.ceil(ms / 1000));
}
