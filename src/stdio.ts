import { NestFactory } from '@nestjs/core';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { AppModule } from './app.module';
import type { AppConfiguration } from './config/configuration.types';
import { AppLogger } from './logging/app-logger';
import { LogFlusher } from './logging/log-flusher';
import { McpServerFactory } from './mcp/mcp-server.factory';

/**
 * MCP over stdin/stdout for desktop clients. stdout carries only MCP messages (logs go to
 * stderr, see the configuration); the process ends cleanly when stdin closes or on a signal.
 */
export async function runStdio(configuration: AppConfiguration): Promise<void> {
  const app = await NestFactory.createApplicationContext(
    AppModule.forRoot({ configuration, http: false }),
    { bufferLogs: true },
  );
  const logger = app.get(AppLogger);
  app.useLogger(logger);
  const logs = app.get(LogFlusher);
  const factory = app.get(McpServerFactory);
  const handle = serveStdio(factory.create, {
    onerror: (error) => logger.warn(`stdio: ${error.message}`, 'Stdio'),
  });
  logger.log('Serving MCP over stdio', 'Bootstrap');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await handle.close().catch(() => undefined);
    await app.close();
    await logs.drained();
    process.exit(0);
  };
  process.stdin.once('end', () => void stop());
  process.stdin.once('close', () => void stop());
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
