import { HealthIndicatorService } from '@nestjs/terminus';
import type { AareguruClient, CircuitStateName, UpstreamStatus } from './aareguru.client';
import { AareguruHealthIndicator } from './aareguru.health';
import type { UpstreamCacheService } from './cache/upstream-cache.service';

function indicatorWith(circuit: CircuitStateName): AareguruHealthIndicator {
  const status: UpstreamStatus = {
    circuit,
    lastSuccessAt: null,
    lastFailureAt: Date.UTC(2026, 6, 14, 13, 11),
    lastFailure: 'cities: HTTP 500',
    requests: 4,
    failures: 4,
    recentFailures: [],
  };
  const client = { status: () => status } as unknown as AareguruClient;
  const cache = {
    stats: () => ({ hits: 0, misses: 0, staleServes: 0 }),
    usage: () => Promise.resolve({ entries: 0, bytes: 0 }),
  } as unknown as UpstreamCacheService;
  return new AareguruHealthIndicator(new HealthIndicatorService(), client, cache);
}

describe('AareguruHealthIndicator', () => {
  it('is up only while the circuit is closed', async () => {
    expect((await indicatorWith('closed').check()).aareguru.status).toBe('up');
  });

  it.each<CircuitStateName>(['open', 'half-open', 'isolated'])(
    'is down while the circuit is %s: a half-open trial is not a recovery yet',
    async (circuit) => {
      const result = await indicatorWith(circuit).check();
      expect(result.aareguru).toMatchObject({
        status: 'down',
        circuit,
        lastFailure: 'cities: HTTP 500',
      });
    },
  );
});
