import { DynamicModule, Module } from '@nestjs/common';
import { AareguruModule } from './aareguru/aareguru.module';
import { CommonModule } from './common/common.module';
import { AppConfigModule, AppConfigOptions } from './config/app-config.module';
import { HealthModule } from './health/health.module';
import { LoggingModule } from './logging/logging.module';

@Module({})
export class AppModule {
  static forRoot(config: AppConfigOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        CommonModule,
        LoggingModule,
        AareguruModule,
        HealthModule,
      ],
    };
  }
}
