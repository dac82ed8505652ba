import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { LOGGING_CONFIG } from '../config/app-config.module';
import type { LoggingConfig } from '../config/configuration.types';
import { buildPinoHttpOptions } from './pino-options';

@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [LOGGING_CONFIG],
      useFactory: (config: LoggingConfig) => ({ pinoHttp: buildPinoHttpOptions(config) }),
    }),
  ],
})
export class LoggingModule {}
