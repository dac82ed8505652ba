import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { Counter } from 'prom-client';
import { McpThrottlerGuard } from './mcp-throttler.guard';
import {
  incrementEachInOrder,
  type LimitHit,
  type OrderedThrottlerStorage,
} from './ordered-throttler-storage';
import { SlidingWindowThrottlerStorage } from './sliding-window.storage';
import { THROTTLED_REQUESTS } from './throttling.metrics';

/** Exposes the protected hooks under test. */
class InspectableGuard extends McpThrottlerGuard {
  tracker(req: Record<string, unknown>) {
    return this.getTracker(req);
  }
  key(name: string, tracker: string) {
    return this.generateKey({} as ExecutionContext, tracker, name);
  }
}

describe('McpThrottlerGuard', () => {
  const guard = new InspectableGuard(
    { throttlers: [{ name: 'minute', ttl: 60_000, limit: 1 }] },
    new ThrottlerStorageService(),
    new Reflector(),
    new Counter({ ...THROTTLED_REQUESTS, registers: [] }),
  );

  it('tracks a keyed caller by its key label, never the key', async () => {
    await expect(
      guard.tracker({ principal: { label: 'team-a', admin: false }, ip: '10.0.0.1' }),
    ).resolves.toBe('key:team-a');
  });

  it('tracks a keyless caller by client address', async () => {
    await expect(guard.tracker({ ip: '203.0.113.7' })).resolves.toBe('ip:203.0.113.7');
    await expect(
      guard.tracker({ principal: { label: 'anonymous', admin: false }, ip: '::1' }),
    ).resolves.toBe('ip:::1');
  });

  it("counts a keyless IPv6 caller by its /64, as the library's own tracker does", async () => {
    const tracked = await Promise.all(
      ['2001:db8:1:2:aaaa::1', '2001:DB8:1:2:ffff:ffff:ffff:ffff', '2001:db8:1:2::7%eth0'].map(
        (ip) => guard.tracker({ ip }),
      ),
    );
    expect(tracked).toEqual(Array(3).fill('ip:2001:db8:1:2::/64'));
    await expect(guard.tracker({ ip: '2001:db8:1:3::1' })).resolves.toBe('ip:2001:db8:1:3::/64');
    await expect(guard.tracker({ ip: '::ffff:203.0.113.7' })).resolves.toBe('ip:203.0.113.7');
    await expect(guard.tracker({})).resolves.toBe('ip:unknown');
  });

  it('counts one budget per limit and caller, whatever the route', () => {
    expect(guard.key('minute', 'key:team-a')).toBe('minute|key:team-a');
  });
});

describe('McpThrottlerGuard counting a request against its limits', () => {
  let now = 1_000_000;
  const clock = { now: () => now };
  const throttlers = [
    { name: 'minute', ttl: 60_000, limit: 3 },
    { name: 'hour', ttl: 3_600_000, limit: 4 },
  ];

  /** In-process counters behind the one-call interface, recording the calls. */
  class OrderedStorage extends SlidingWindowThrottlerStorage implements OrderedThrottlerStorage {
    readonly calls: string[][] = [];
    incrementInOrder(hits: LimitHit[]) {
      this.calls.push(hits.map((hit) => hit.key));
      return incrementEachInOrder(this, hits);
    }
  }

  async function guardOn(storage: SlidingWindowThrottlerStorage) {
    const guard = new McpThrottlerGuard(
      { throttlers, setHeaders: false },
      storage,
      new Reflector(),
      new Counter({ ...THROTTLED_REQUESTS, registers: [] }),
    );
    await guard.onModuleInit();
    return guard;
  }

  /** One request through a guard: its outcome and the headers it set. */
  async function pass(guard: McpThrottlerGuard) {
    const headers: Record<string, unknown> = {};
    const res = {
      header: (name: string, value: unknown) => (headers[name] = value),
      setHeader: (name: string, value: unknown) => (headers[name] = value),
      getHeader: (name: string) => headers[name],
    };
    const req = { principal: { label: 'team-a', admin: false }, ip: '10.0.0.1', headers: {} };
    const context = {
      switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
      getClass: () => Object,
      getHandler: () => pass,
    } as unknown as ExecutionContext;
    try {
      return { allowed: await guard.canActivate(context), headers };
    } catch (error) {
      return { refused: (error as Error).message, headers };
    }
  }

  it('answers alike with a storage that counts one limit after the other and one that counts all at once', async () => {
    const oneByOne = new SlidingWindowThrottlerStorage(clock);
    const ordered = new OrderedStorage(clock);
    const [expected, actual] = [await guardOn(oneByOne), await guardOn(ordered)];
    const outcomes: string[] = [];
    // Into the minute limit; two windows later into the hour limit, then the minute limit again.
    for (const step of [0, 1, 1, 1, 1, 121_000, 1, 1, 1, 1]) {
      now += step;
      const [want, got] = [await pass(expected), await pass(actual)];
      expect(got).toEqual(want);
      outcomes.push(got.allowed ? 'ok' : /per minute/.test(got.refused!) ? 'minute' : 'hour');
    }
    expect(outcomes).toEqual([
      ...['ok', 'ok', 'ok', 'minute', 'minute'],
      ...['ok', 'hour', 'hour', 'minute', 'minute'],
    ]);
    expect(ordered.calls).toHaveLength(10);
    expect(ordered.calls[0]).toEqual(['minute|key:team-a', 'hour|key:team-a']);
    oneByOne.onApplicationShutdown();
    ordered.onApplicationShutdown();
  });

  it('sets the draft standard headers on every answer, and only those', async () => {
    const storage = new SlidingWindowThrottlerStorage(clock);
    const guard = await guardOn(storage);
    now += 10 * 3_600_000;
    const first = await pass(guard);
    expect(first.headers).toEqual({
      'RateLimit-Policy': '"minute";q=3;w=60, "hour";q=4;w=3600',
      RateLimit: '"minute";r=2;t=60, "hour";r=3;t=3600',
    });
    await pass(guard);
    now += 43_000;
    // The second request sees 17 s left of the minute; a refusal blocks for a whole window.
    expect((await pass(guard)).headers.RateLimit).toBe('"minute";r=0;t=17, "hour";r=1;t=3557');
    const refused = await pass(guard);
    expect(refused.refused).toBe(
      'Too Many Requests: rate limit of 3 requests per minute exceeded; retry in 60 s',
    );
    // The hour limit is not counted once the minute limit refuses.
    expect(refused.headers).toEqual({
      'RateLimit-Policy': '"minute";q=3;w=60, "hour";q=4;w=3600',
      RateLimit: '"minute";r=0;t=60',
      'Retry-After': '60',
    });
    storage.onApplicationShutdown();
  });
});
