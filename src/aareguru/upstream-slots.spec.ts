import { NoSlotError, UpstreamSlots } from './upstream-slots';

describe('UpstreamSlots', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const limits = { maxActive: 2, maxQueued: 2, maxWaitMs: 1000 };

  it('grants up to maxActive slots at once and queues the rest in order', async () => {
    const waiting: number[] = [];
    const slots = new UpstreamSlots(limits, (n) => waiting.push(n));
    const first = await slots.acquire();
    await slots.acquire();
    const order: string[] = [];
    const third = slots.acquire().then((release) => (order.push('third'), release));
    const fourth = slots.acquire().then((release) => (order.push('fourth'), release));
    expect(slots.waiting).toBe(2);
    first();
    (await third)();
    (await fourth)();
    expect(order).toEqual(['third', 'fourth']);
    expect(slots.inUse).toBe(1);
    expect(waiting).toEqual([1, 2, 1, 0]);
  });

  it('refuses at once when the queue is full', async () => {
    const slots = new UpstreamSlots(limits);
    await slots.acquire();
    await slots.acquire();
    void slots.acquire().catch(() => undefined);
    void slots.acquire().catch(() => undefined);
    await expect(slots.acquire()).rejects.toEqual(new NoSlotError('queue_full'));
  });

  it('refuses a waiter after maxWaitMs and hands a later slot to the next one', async () => {
    const slots = new UpstreamSlots(limits);
    const release = await slots.acquire();
    await slots.acquire();
    const late = slots.acquire();
    jest.advanceTimersByTime(999);
    expect(slots.waiting).toBe(1);
    jest.advanceTimersByTime(1);
    await expect(late).rejects.toEqual(new NoSlotError('wait_exceeded'));
    expect(slots.waiting).toBe(0);
    release();
    expect(slots.inUse).toBe(1);
  });

  it('lets a waiter leave the queue when its operation is abandoned', async () => {
    const slots = new UpstreamSlots(limits);
    await slots.acquire();
    await slots.acquire();
    const controller = new AbortController();
    const waiter = slots.acquire(controller.signal);
    controller.abort();
    await expect(waiter).rejects.toEqual(new NoSlotError('aborted'));
    expect(slots.waiting).toBe(0);
  });

  it('counts a release called twice once', async () => {
    const slots = new UpstreamSlots({ ...limits, maxActive: 1 });
    const release = await slots.acquire();
    release();
    release();
    expect(slots.inUse).toBe(0);
    (await slots.acquire())();
    expect(slots.inUse).toBe(0);
  });
});
