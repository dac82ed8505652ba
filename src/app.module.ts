import { DynamicModule, Module } from '@nestjs/common';
import { AareguruModule } from './aareguru/aareguru.module';
import { CommonModule } from './common/common.module';
import { AppConfigModule, AppConfigOptions } from './config/app-config.module';
import { HealthModule } from './health/health.module';
import { LoggingModule } from './logging/logging.module';
import { McpModule } from './mcp/mcp.module';
import { TransportModule } from './transport/transport.module';

@Module({})
export class AppModule {
  /** `http: false` builds the stdio variant: the MCP surface without HTTP routes. */
  static forRoot(options: AppConfigOptions & { http?: boolean } = {}): DynamicModule {
    const { http = true, ...config } = options;
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        CommonModule,
        LoggingModule,
        AareguruModule,
        ...(http ? [HealthModule, TransportModule] : [McpModule]),
      ],
    };
  }
}
