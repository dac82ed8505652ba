import { Module } from '@nestjs/common';
import { McpModule } from '../mcp/mcp.module';
import { HostOriginGuard } from './host-origin.guard';
import { InMemorySessionRegistry } from './in-memory-session.registry';
import { McpHttpController } from './mcp-http.controller';
import { SESSION_REGISTRY } from './session-registry.interface';
import { SessionLifecycleService } from './session-lifecycle.service';
import { SseService } from './sse.service';
import { StreamableHttpService } from './streamable-http.service';

/** MCP over HTTP: Streamable HTTP at /mcp and the legacy HTTP+SSE pair /sse + /messages. */
@Module({
  imports: [McpModule],
  controllers: [McpHttpController],
  providers: [
    { provide: SESSION_REGISTRY, useClass: InMemorySessionRegistry },
    SessionLifecycleService,
    StreamableHttpService,
    SseService,
    HostOriginGuard,
  ],
  exports: [SESSION_REGISTRY, SessionLifecycleService],
})
export class TransportModule {}
