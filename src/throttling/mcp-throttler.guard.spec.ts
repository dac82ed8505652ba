import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { Counter } from 'prom-client';
import { McpThrottlerGuard } from './mcp-throttler.guard';
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
