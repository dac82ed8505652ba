import type { INestApplication } from '@nestjs/common';
import type { Express } from 'express';
import { Logger } from 'nestjs-pino';

/** What main.ts and the end-to-end tests both apply, so tests run the app as deployed. */
export function configureApp(app: INestApplication): void {
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  const express = app.getHttpAdapter().getInstance() as Express;
  express.disable('x-powered-by');
}
