import { Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { pinoHttp } from 'pino-http';
import { LOGGING_CONFIG } from '../config/app-config.module';
import type { LoggingConfig } from '../config/configuration.types';
import { accessLog } from './access-log';
import { LogFlusher } from './log-flusher';
import { buildPinoHttpOptions } from './pino-options';
import { HTTP_LOGGER, PINO_HTTP_OPTIONS } from './logging.tokens';

/**
 * JSON logs through pino. The options (and so the one output stream) are built once and shared:
 * nestjs-pino logs the Express routes with them, the MCP gateway its own routes.
 */
@Global()
@Module({
  providers: [
    {
      provide: PINO_HTTP_OPTIONS,
      inject: [LOGGING_CONFIG],
      useFactory: (config: LoggingConfig) => buildPinoHttpOptions(config),
    },
  ],
  exports: [PINO_HTTP_OPTIONS],
})
class PinoOptionsModule {}

@Global()
@Module({
  imports: [
    PinoOptionsModule,
    LoggerModule.forRootAsync({
      inject: [PINO_HTTP_OPTIONS],
      useFactory: (pinoHttpOptions: PinoHttpOptions) => ({ pinoHttp: pinoHttpOptions }),
    }),
  ],
  providers: [
    LogFlusher,
    {
      provide: HTTP_LOGGER,
      inject: [PINO_HTTP_OPTIONS],
      useFactory: (options: PinoHttpOptions) => accessLog(pinoHttp(options).logger, options),
    },
  ],
  exports: [HTTP_LOGGER],
})
export class LoggingModule {}

type PinoHttpOptions = ReturnType<typeof buildPinoHttpOptions>;
