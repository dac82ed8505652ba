import { NestFactory } from '@nestjs/core';
import { serveStdio, StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { AppModule } from './app.module';
import { SESSION_EVENT_LOG, type SessionEventLog } from './events/session-event-log';
import { StandaloneEventsTransport } from './events/standalone-events.transport';
import { SubscriptionsService } from './subscriptions/subscriptions.service';
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
  const subscriptions = app.get(SubscriptionsService);
  // Resource updates appended for the connection (its session id, `stdio:{instance}`) go out on
  // stdout too.
  const transport = new StandaloneEventsTransport(
    new StdioServerTransport(),
    app.get<SessionEventLog>(SESSION_EVENT_LOG),
    subscriptions.stdioSubscriber,
  );
  const handle = serveStdio(factory.create, {
    transport,
    onerror: (error) => logger.warn(`stdio: ${error.message}`, 'Stdio'),
  });
  logger.log('Serving MCP over stdio', 'Bootstrap');

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await handle.close().catch(() => undefined);
    // Its subscriptions end with the connection (with Redis, other processes keep theirs).
    await subscriptions.ended(subscriptions.stdioSubscriber);
    await app.close();
    await logs.drained();
    process.exit(0);
  };
  process.stdin.once('end', () => void stop());
  process.stdin.once('close', () => void stop());
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}
