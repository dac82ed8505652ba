import { DynamicModule, Module, Type } from '@nestjs/common';
import { AareguruModule } from './aareguru/aareguru.module';
import { AdminModule } from './admin/admin.module';
import { AuthModule } from './auth/auth.module';
import { MetricsEndpointModule, MetricsModule } from './metrics/metrics.module';
import { ThrottlingModule } from './throttling/throttling.module';
import type { Clock, Timers } from './common/clock';
import { CommonModule } from './common/common.module';
import { HttpEdgeModule } from './common/http-edge.module';
import { AppConfigModule, AppConfigOptions } from './config/app-config.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { LoggingModule } from './logging/logging.module';
import { McpModule } from './mcp/mcp.module';
import { RedisModule } from './redis/redis.module';
import { TransportModule } from './transport/transport.module';

export interface AppModuleOptions extends AppConfigOptions {
  /** false builds the stdio variant: the MCP surface without HTTP routes. */
  http?: boolean;
  clock?: Clock;
  /** What runs delayed work (the circuit's trial); the event loop's timers by default. */
  timers?: Timers;
  /** The module providing the MCP surface (tools, resources, prompts); the Aare one by default. */
  surface?: Type;
}

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions = {}): DynamicModule {
    const { http = true, clock, timers, surface, ...config } = options;
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        CommonModule.forRoot(clock, timers),
        LoggingModule,
        RedisModule,
        EventsModule,
        AareguruModule,
        MetricsModule,
        ...(http
          ? [
              HttpEdgeModule,
              AuthModule,
              MetricsEndpointModule.forRoot(),
              ThrottlingModule,
              HealthModule,
              TransportModule.forRoot(surface),
              AdminModule,
            ]
          : [McpModule]),
      ],
    };
  }
}
