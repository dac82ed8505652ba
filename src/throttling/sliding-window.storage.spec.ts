import { SlidingWindowThrottlerStorage } from './sliding-window.storage';

describe('SlidingWindowThrottlerStorage', () => {
  let now: number;
  let storage: SlidingWindowThrottlerStorage;
  const MINUTE = 60_000;
  const hit = (limit = 3, key = 'minute|key:a') =>
    storage.increment(key, MINUTE, limit, MINUTE, 'minute');

  beforeEach(() => {
    now = 1_000_000;
    storage = new SlidingWindowThrottlerStorage({ now: () => now });
  });
  afterEach(() => storage.onApplicationShutdown());

  it('counts hits up to the limit, then blocks for the block duration', async () => {
    await expect(hit()).resolves.toMatchObject({ totalHits: 1, isBlocked: false });
    await hit();
    await expect(hit()).resolves.toMatchObject({ totalHits: 3, isBlocked: false });
    await expect(hit()).resolves.toMatchObject({ isBlocked: true, timeToBlockExpire: 60 });
    now += 30_000;
    await expect(hit()).resolves.toMatchObject({ isBlocked: true, timeToBlockExpire: 30 });
  });

  it('keeps callers and limits apart', async () => {
    for (let i = 0; i < 3; i += 1) await hit(3, 'minute|key:a');
    await expect(hit(3, 'minute|key:b')).resolves.toMatchObject({ isBlocked: false });
  });

  it("weighs the previous window's hits by how much of it still overlaps", async () => {
    for (let i = 0; i < 10; i += 1) await hit(100);
    now += MINUTE + MINUTE / 4; // a quarter into the next window: 3/4 of the old hits count
    await expect(hit(100)).resolves.toMatchObject({ totalHits: 8 });
    now += MINUTE; // a window later only the one recent hit is left, weighted down to nothing
    await expect(hit(100)).resolves.toMatchObject({ totalHits: 1 });
  });

  it('says when the fixed window ends, which is not when the whole quota is back', async () => {
    // What `t=` of the RateLimit header carries (timeToExpire): windows start at the first hit.
    await hit();
    now += 20_000;
    await hit();
    await expect(hit()).resolves.toMatchObject({ totalHits: 3, timeToExpire: 40 });
    // Just after t the three hits still count almost fully in the sliding window: one more request
    // fits, the next is refused although a new window began.
    now += 40_001;
    await expect(hit()).resolves.toMatchObject({
      totalHits: 3,
      isBlocked: false,
      timeToExpire: 60,
    });
    await expect(hit()).resolves.toMatchObject({ isBlocked: true, timeToBlockExpire: 60 });
  });

  it('lets a blocked caller in again once the block and the window have passed', async () => {
    for (let i = 0; i < 4; i += 1) await hit();
    now += 2 * MINUTE + 1;
    await expect(hit()).resolves.toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('keeps one record of plain counters per caller and limit, however many hits it holds', async () => {
    let last: Awaited<ReturnType<typeof hit>> | undefined;
    for (let i = 0; i < 100_000; i += 1) last = await hit(1_000_000);
    expect(last).toEqual({
      totalHits: 100_000,
      timeToExpire: 60,
      isBlocked: false,
      timeToBlockExpire: 0,
    });
    // The same fixed shape as after one hit: no list of hits that grows, nothing to recount.
    const records = (storage as unknown as { windows: Map<string, unknown> }).windows;
    expect([...records.values()]).toStrictEqual([
      { start: 1_000_000, current: 100_000, previous: 0, blockedUntil: 0, ttl: MINUTE },
    ]);
  });

  it('forgets callers that went quiet', async () => {
    await hit();
    await storage.increment('hour|key:a', 60 * MINUTE, 3, 60 * MINUTE, 'hour');
    now += 2 * MINUTE;
    storage.sweep();
    expect(storage.size).toBe(1); // the hourly record is still within its windows
  });
});
