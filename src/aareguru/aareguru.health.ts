import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { AareguruClient } from './aareguru.client';
import { UpstreamCacheService } from './cache/upstream-cache.service';

/**
 * Upstream state for people and monitoring: down unless the circuit is closed. Half-open is a
 * trial under way after the circuit opened, not a recovery yet: counting it as up would flip
 * `/health` to 200 for the length of each failed trial during an outage. Used for health
 * details only, never for liveness or readiness — an Aareguru outage must not take every replica
 * out of the load balancer, since cached and stale answers still work.
 */
@Injectable()
export class AareguruHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly client: AareguruClient,
    private readonly cache: UpstreamCacheService,
  ) {}

  async check(key = 'aareguru') {
    const indicator = this.health.check(key);
    const status = this.client.status();
    const stats = this.cache.stats();
    const lookups = stats.hits + stats.misses;
    const usage = await this.cache.usage();
    const details = {
      circuit: status.circuit,
      lastSuccessAt: isoOrNull(status.lastSuccessAt),
      lastFailureAt: isoOrNull(status.lastFailureAt),
      lastFailure: status.lastFailure,
      cache: {
        entries: usage.entries,
        bytes: usage.bytes,
        hitRatio: lookups === 0 ? null : Math.round((stats.hits / lookups) * 1000) / 1000,
        staleServes: stats.staleServes,
      },
    };
    return status.circuit === 'closed' ? indicator.up(details) : indicator.down(details);
  }
}

function isoOrNull(epochMs: number | null): string | null {
  return epochMs === null ? null : new Date(epochMs).toISOString();
}
