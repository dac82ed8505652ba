import { DynamicModule, Module, Type } from '@nestjs/common';
import { McpModule } from '../mcp/mcp.module';
import { SessionsModule } from '../sessions/sessions.module';
import { HostOriginGuard } from './host-origin.guard';
import { McpHttpGateway } from './mcp-http.gateway';
import { SseService } from './sse.service';
import { StreamableHttpService } from './streamable-http.service';

/** MCP over HTTP: Streamable HTTP at /mcp and the legacy HTTP+SSE pair /sse + /messages. */
@Module({})
export class TransportModule {
  /**
   * `surface` is the module that provides MCP_SERVER_FACTORY: the Aare MCP module in the product;
   * the conformance suite's fixture module in its tests, on the same transport stack.
   */
  static forRoot(surface: Type = McpModule): DynamicModule {
    return {
      module: TransportModule,
      imports: [surface, SessionsModule],
      providers: [McpHttpGateway, StreamableHttpService, SseService, HostOriginGuard],
      exports: [McpHttpGateway],
    };
  }
}
