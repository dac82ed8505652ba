import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RedisConnection } from './redis-connection';

/**
 * Redis as health details show it: connected, the round trip of a PING, and this replica's id.
 * Down while Redis does not answer; never part of liveness or readiness (see HealthController).
 */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly redis: RedisConnection,
  ) {}

  async check(key = 'redis') {
    const indicator = this.health.check(key);
    const replicaId = this.redis.replicaId;
    if (!this.redis.enabled) return indicator.up({ enabled: false, replicaId });
    // This boot's id, as session records and the admin API's owner of a stream name it.
    const instanceId = this.redis.instanceId;
    try {
      const latencyMs = await this.redis.ping();
      return indicator.up({ enabled: true, connected: true, latencyMs, replicaId, instanceId });
    } catch (error) {
      return indicator.down({
        enabled: true,
        connected: false,
        replicaId,
        instanceId,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
