import 'reflect-metadata';
import { createHttpApp } from './app.setup';
import { AppStateService } from './common/app-state.service';
import { InFlightService } from './common/in-flight.service';
import { listeningLine } from './common/listen-address';
import { ConfigValidationError, loadConfiguration } from './config/configuration';
import type { AppConfiguration } from './config/configuration.types';
import { AppLogger } from './logging/app-logger';
import { LogFlusher } from './logging/log-flusher';
import { runStdio } from './stdio';

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

async function serveHttp(configuration: AppConfiguration): Promise<void> {
  const app = await createHttpApp(configuration);
  const logger = app.get(AppLogger);
  const state = app.get(AppStateService);
  const inFlight = app.get(InFlightService);
  const logs = app.get(LogFlusher);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // Readiness fails and new sessions are refused at once; running calls get the grace period.
    state.beginDrain();
    const graceMs = configuration.sessions.shutdownGraceSeconds * 1000;
    logger.log(
      `${signal}: draining (${inFlight.active} calls in flight, up to ${graceMs} ms)`,
      'Shutdown',
    );
    const drained = await inFlight.idle(graceMs);
    if (!drained)
      logger.warn(`${inFlight.active} calls still running after the grace period`, 'Shutdown');
    // Closes every session (SSE streams included) and then the HTTP server.
    await app.close();
    logger.log('stopped', 'Shutdown');
    await logs.drained();
    process.exit(0);
  };
  // Kept for the whole drain: a repeated signal (Ctrl-C reaches `npm start` and the server both,
  // and npm passes its copy on) must not end the process before the drain is done.
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  const { host, port } = configuration.server;
  await app.listen(port, host);
  logger.log(
    listeningLine(
      app.getHttpServer().address(),
      configuration.mcp.publicBaseUrl,
      configuration.aareguru.baseUrl,
    ),
    'Bootstrap',
  );
}

async function bootstrap(): Promise<void> {
  const configuration = configurationOrExit();
  if (configuration.mcp.transport === 'stdio') await runStdio(configuration);
  else await serveHttp(configuration);
}

bootstrap().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
