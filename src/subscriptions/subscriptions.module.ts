import { Module } from '@nestjs/common';
import { InMemoryServerEventBus } from '@modelcontextprotocol/server';
import { AareguruModule } from '../aareguru/aareguru.module';
import { LIVE_CONFIG, MCP_CONFIG } from '../config/app-config.module';
import type { LiveConfig, McpConfig } from '../config/configuration.types';
import { RedisConnection } from '../redis/redis-connection';
import { MemorySubscriptionStore } from './memory-subscription.store';
import { LocalPollLease, POLL_LEASE, RedisPollLease } from './poll-lease';
import { RedisSubscriptionStore } from './redis-subscription.store';
import { ResourcePoller } from './resource-poller';
import { SUBSCRIPTION_STORE } from './subscription-store';
import { LISTEN_BUS, SubscriptionsService } from './subscriptions.service';
import { SUBSCRIPTIONS_METRICS } from './subscriptions.metrics';

/**
 * Live resources: who subscribed to what (in this process, or for the fleet in Redis), the one
 * poller that finds changes upstream, and the bus this process's listen streams hear them on.
 */
@Module({
  imports: [AareguruModule],
  providers: [
    // A stdio process serves its one client on its own, Redis or not (the cache may still be
    // shared): it keeps that client's subscriptions and polls for them itself, and never takes
    // the fleet's lease, whose poller must see every subscription it polls for.
    {
      provide: SUBSCRIPTION_STORE,
      inject: [RedisConnection, MCP_CONFIG],
      useFactory: (redis: RedisConnection, mcp: McpConfig) =>
        redis.enabled && mcp.transport !== 'stdio'
          ? new RedisSubscriptionStore(redis)
          : new MemorySubscriptionStore(),
    },
    {
      provide: POLL_LEASE,
      inject: [RedisConnection, LIVE_CONFIG, MCP_CONFIG],
      useFactory: (redis: RedisConnection, config: LiveConfig, mcp: McpConfig) =>
        redis.enabled && mcp.transport !== 'stdio'
          ? new RedisPollLease(redis, config.pollLeaseMs)
          : new LocalPollLease(),
    },
    // One per application: apps booted side by side in one process must not share it.
    { provide: LISTEN_BUS, useFactory: () => new InMemoryServerEventBus() },
    ...SUBSCRIPTIONS_METRICS,
    SubscriptionsService,
    ResourcePoller,
  ],
  exports: [SubscriptionsService, ResourcePoller, LISTEN_BUS, SUBSCRIPTION_STORE],
})
export class SubscriptionsModule {}
