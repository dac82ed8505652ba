import type { Clock, Timers } from '../../src/common/clock';

/** A clock that moves only when told to; what is scheduled on it runs as it passes. */
export class ManualClock implements Clock, Timers {
  private scheduled: { at: number; callback: () => void }[] = [];

  constructor(private current = Date.UTC(2023, 4, 9, 11, 20)) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    const until = this.current + ms;
    // Due callbacks run in time order, each at its own time (one may schedule another).
    for (;;) {
      const next = this.scheduled
        .filter((entry) => entry.at <= until)
        .sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.scheduled = this.scheduled.filter((entry) => entry !== next);
      this.current = Math.max(this.current, next.at);
      next.callback();
    }
    this.current = until;
  }

  schedule(callback: () => void, delayMs: number): () => void {
    const entry = { at: this.current + delayMs, callback };
    this.scheduled.push(entry);
    return () => {
      this.scheduled = this.scheduled.filter((other) => other !== entry);
    };
  }

  /** How many callbacks are waiting. */
  get pending(): number {
    return this.scheduled.length;
  }
}

/**
 * Fakes `Date` alone (timers, sockets and retries run for real), for code that reads
 * `Date.now()` itself, such as the circuit breaker deciding when it admits a trial: move it with
 * `jest.setSystemTime`, undo it with `jest.useRealTimers`. Frozen unless `moving`, then it also
 * follows real time (so deadlines computed from it, e.g. in `eventually`, still pass).
 */
export function fakeDateOnly({ moving = false }: { moving?: boolean } = {}): void {
  jest.useFakeTimers({
    advanceTimers: moving,
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
}
