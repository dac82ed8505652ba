/** Why a caller got no slot: the queue was full, or it waited longer than the wait bound. */
export class NoSlotError extends Error {
  constructor(readonly reason: 'queue_full' | 'wait_exceeded' | 'aborted') {
    super(
      reason === 'queue_full'
        ? 'too many requests are already waiting for upstream'
        : reason === 'wait_exceeded'
          ? 'no upstream connection became free in time'
          : 'gave up waiting for an upstream connection',
    );
    this.name = 'NoSlotError';
  }
}

interface Waiter {
  grant: (release: () => void) => void;
}

export interface SlotLimits {
  /** Requests on the wire at once. */
  maxActive: number;
  /** Callers allowed to wait for a slot; beyond that, a refusal at once. */
  maxQueued: number;
  /** How long one caller may wait for a slot. */
  maxWaitMs: number;
}

/**
 * A counting semaphore with a bounded, first-come-first-served queue. It sits in front of the
 * HTTP call so an attempt's timeout starts when the request goes out, not while it waits for a
 * connection: waiting is bounded here, and a caller that gets no slot is refused with a distinct
 * error instead of being counted as an upstream failure.
 */
export class UpstreamSlots {
  private active = 0;
  private readonly queue: Waiter[] = [];

  constructor(
    private readonly limits: SlotLimits,
    private readonly onQueueChange: (waiting: number) => void = () => undefined,
  ) {}

  get waiting(): number {
    return this.queue.length;
  }

  get inUse(): number {
    return this.active;
  }

  /** Resolves with a release function once a slot is free; rejects with NoSlotError. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new NoSlotError('aborted'));
    if (this.active < this.limits.maxActive && this.queue.length === 0) {
      this.active += 1;
      return Promise.resolve(this.releaser());
    }
    if (this.queue.length >= this.limits.maxQueued) {
      return Promise.reject(new NoSlotError('queue_full'));
    }
    return new Promise((resolve, reject) => {
      const leave = (reason: NoSlotError['reason']) => {
        const index = this.queue.indexOf(waiter);
        if (index === -1) return;
        this.queue.splice(index, 1);
        this.onQueueChange(this.queue.length);
        settle();
        reject(new NoSlotError(reason));
      };
      const timer = setTimeout(() => leave('wait_exceeded'), this.limits.maxWaitMs);
      const onAbort = () => leave('aborted');
      const settle = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const waiter: Waiter = {
        grant: (release) => {
          settle();
          resolve(release);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
      this.onQueueChange(this.queue.length);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next) {
        this.onQueueChange(this.queue.length);
        // The slot passes straight to the next caller: `active` stays the same.
        next.grant(this.releaser());
      } else {
        this.active -= 1;
      }
    };
  }
}
