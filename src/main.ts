import 'reflect-metadata';
import { Logger } from 'nestjs-pino';
import { createHttpApp } from './app.setup';
import { ConfigValidationError, loadConfiguration } from './config/configuration';
import type { AppConfiguration } from './config/configuration.types';
import { runStdio } from './transport/stdio';

function configurationOrExit(): AppConfiguration {
  const transportArg = process.argv.indexOf('--transport');
  const env =
    transportArg >= 0
      ? { ...process.env, MCP_TRANSPORT: process.argv[transportArg + 1] }
      : process.env;
  try {
    return loadConfiguration(env);
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
  if (configuration.mcp.transport === 'stdio') {
    await runStdio(configuration);
    return;
  }
  const app = await createHttpApp(configuration);
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
