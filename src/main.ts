import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { configureApp } from './app.setup';
import { ConfigValidationError, loadConfiguration } from './config/configuration';
import type { AppConfiguration } from './config/configuration.types';

function configurationOrExit(): AppConfiguration {
  try {
    return loadConfiguration();
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

async function bootstrap(): Promise<void> {
  const configuration = configurationOrExit();
  const app = await NestFactory.create(AppModule.forRoot({ configuration }), {
    bufferLogs: true,
  });
  configureApp(app);

  const { host, port } = configuration.server;
  await app.listen(port, host);
  app
    .get(Logger)
    .log(
      `Listening on ${await app.getUrl()}, upstream ${configuration.aareguru.baseUrl}`,
      'Bootstrap',
    );
}

bootstrap().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
