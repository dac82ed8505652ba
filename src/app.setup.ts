import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger } from 'nestjs-pino';
import { AppModule, AppModuleOptions } from './app.module';
import { HttpExceptionFilter } from './common/filters/http-exception.filter';
import type { AppConfiguration } from './config/configuration.types';

/** The SDK's own limit for one JSON-RPC message body. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Builds the HTTP application exactly as it is deployed; main.ts and the e2e tests share it. */
export async function createHttpApp(
  configuration: AppConfiguration,
  options: Pick<AppModuleOptions, 'clock' | 'surface'> = {},
): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot({ configuration, ...options }),
    {
      bufferLogs: true,
      bodyParser: false,
      // Idle keep-alive sockets would otherwise hold shutdown open for the keep-alive timeout.
      forceCloseConnections: true,
    },
  );
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  app.disable('x-powered-by');
  app.useBodyParser('json', { limit: MAX_BODY_BYTES });
  app.useGlobalFilters(new HttpExceptionFilter());
  return app;
}
