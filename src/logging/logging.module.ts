import { Global, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { pinoHttp } from 'pino-http';
import { LOGGING_CONFIG } from '../config/app-config.module';
import type { LoggingConfig } from '../config/configuration.types';
import type { Logger } from 'pino';
import { accessLog } from './access-log';
import { AppLogger } from './app-logger';
import { LogFlusher } from './log-flusher';
import { buildPinoHttpOptions, requestLogFields } from './pino-options';
import { HTTP_LOGGER, PINO_HTTP_OPTIONS, REQUEST_LOGGER } from './logging.tokens';

/**
 * JSON logs through pino. The options, and so the one output stream and root logger, are built
 * once: the access log (HTTP_LOGGER, installed as the first middleware) gives each request its
 * child logger, and nestjs-pino uses that one (`useExisting`) for everything logged under it.
 */
@Global()
@Module({
  providers: [
    {
      provide: PINO_HTTP_OPTIONS,
      inject: [LOGGING_CONFIG],
      useFactory: (config: LoggingConfig) => buildPinoHttpOptions(config),
    },
    {
      provide: REQUEST_LOGGER,
      inject: [PINO_HTTP_OPTIONS],
      useFactory: (options: PinoHttpOptions) => pinoHttp(options).logger,
    },
  ],
  exports: [PINO_HTTP_OPTIONS, REQUEST_LOGGER],
})
class PinoOptionsModule {}

@Global()
@Module({
  imports: [
    PinoOptionsModule,
    LoggerModule.forRootAsync({
      inject: [REQUEST_LOGGER],
      useFactory: (logger: Logger) => ({ pinoHttp: { logger }, useExisting: true }),
    }),
  ],
  providers: [
    AppLogger,
    LogFlusher,
    {
      provide: HTTP_LOGGER,
      inject: [REQUEST_LOGGER, PINO_HTTP_OPTIONS],
      useFactory: (logger: Logger, options: PinoHttpOptions) =>
        accessLog(logger, options, requestLogFields),
    },
  ],
  exports: [AppLogger, HTTP_LOGGER],
})
export class LoggingModule {}

type PinoHttpOptions = ReturnType<typeof buildPinoHttpOptions>;
