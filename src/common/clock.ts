/** Time behind a token so tests can control it instead of sleeping. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const CLOCK = Symbol('CLOCK');

export const systemClock: Clock = { now: () => Date.now() };

/** Delayed work behind a token, so a test's clock can run it instead of the event loop. */
export interface Timers {
  /** Runs `callback` once after `delayMs`; the returned function cancels it. */
  schedule(callback: () => void, delayMs: number): () => void;
}

export const TIMERS = Symbol('TIMERS');

/** Node timers that never keep the process alive on their own. */
export const systemTimers: Timers = {
  schedule(callback, delayMs) {
    const timer = setTimeout(callback, delayMs);
    timer.unref();
    return () => clearTimeout(timer);
  },
};
