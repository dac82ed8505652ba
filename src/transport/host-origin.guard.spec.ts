import type { ExecutionContext } from '@nestjs/common';
import { Counter } from 'prom-client';
import { HTTP_REJECTED_REQUESTS } from '../metrics/app.metrics';
import { HostOriginGuard } from './host-origin.guard';
import { JsonRpcHttpException } from '../common/json-rpc';

const config = {
  transport: 'http' as const,
  publicBaseUrl: '',
  publicBasePath: '',
  sseHeartbeatSeconds: 15,
  allowedHosts: ['localhost', '127.0.0.1', '[::1]', 'mcp.example.com'],
  allowedOrigins: ['localhost', 'app.example.com'],
};

function contextFor(headers: Record<string, string>): ExecutionContext {
  return {
    switchToHttp: () => ({ getRequest: () => ({ headers }) }),
  } as unknown as ExecutionContext;
}

describe('HostOriginGuard', () => {
  let rejected: Counter<'reason'>;
  let guard: HostOriginGuard;
  beforeEach(() => {
    rejected = new Counter({ ...HTTP_REJECTED_REQUESTS, registers: [] });
    guard = new HostOriginGuard(config, rejected);
  });

  it.each([
    [{ host: 'localhost:8000' }],
    [{ host: '[::1]:8000' }],
    [{ host: 'mcp.example.com' }],
    [{ host: '127.0.0.1:8000', origin: 'https://app.example.com' }],
    [{ host: '127.0.0.1:8000', origin: 'http://localhost:6274' }],
  ])('allows %p', (headers) => {
    expect(guard.canActivate(contextFor(headers))).toBe(true);
  });

  it.each([
    [{ host: 'evil.example.com' }, 'host'],
    [{}, 'host'],
    [{ host: 'localhost:8000', origin: 'https://evil.example.com' }, 'origin'],
    [{ host: 'localhost:8000', origin: 'null' }, 'origin'],
  ])('refuses %p with a 403 JSON-RPC error, counted as %s', async (headers, reason) => {
    try {
      guard.canActivate(contextFor(headers));
      throw new Error('expected a refusal');
    } catch (error) {
      expect(error).toBeInstanceOf(JsonRpcHttpException);
      expect((error as JsonRpcHttpException).getStatus()).toBe(403);
      expect((error as JsonRpcHttpException).getResponse()).toMatchObject({
        jsonrpc: '2.0',
        error: { code: -32000 },
      });
    }
    expect((await rejected.get()).values).toEqual([
      expect.objectContaining({ labels: { reason }, value: 1 }),
    ]);
  });

  it('accepts any Host when the list says "*"', () => {
    const open = new HostOriginGuard({ ...config, allowedHosts: ['*'] }, rejected);
    expect(open.canActivate(contextFor({ host: 'anything.example.net' }))).toBe(true);
  });
});
