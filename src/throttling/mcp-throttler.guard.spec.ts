import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerStorageService } from '@nestjs/throttler';
import { Counter } from 'prom-client';
import { McpThrottlerGuard } from './mcp-throttler.guard';
import { isSessionOpening } from './session-opening';
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

  it('counts one budget per limit and caller, whatever the route', () => {
    expect(guard.key('minute', 'key:team-a')).toBe('minute|key:team-a');
  });
});

describe('isSessionOpening', () => {
  const req = (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => ({ method, url: path, body, headers }) as never;

  it('recognises an initialize POST without a session, and a new SSE stream', () => {
    expect(isSessionOpening(req('POST', '/mcp', { method: 'initialize' }))).toBe(true);
    expect(isSessionOpening(req('GET', '/sse'))).toBe(true);
    expect(isSessionOpening(req('GET', '/sse?probe=1'))).toBe(true);
  });

  it('ignores everything else', () => {
    expect(isSessionOpening(req('POST', '/mcp', { method: 'tools/list' }))).toBe(false);
    expect(
      isSessionOpening(req('POST', '/mcp', { method: 'initialize' }, { 'mcp-session-id': 'x' })),
    ).toBe(false);
    expect(isSessionOpening(req('GET', '/mcp'))).toBe(false);
    expect(isSessionOpening(req('POST', '/messages', { method: 'initialize' }))).toBe(false);
  });
});
