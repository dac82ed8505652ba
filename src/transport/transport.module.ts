import {
  DynamicModule,
  MiddlewareConsumer,
  Module,
  NestModule,
  RequestMethod,
  Type,
} from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { capturedHeaders, strictSecurityHeaders } from '../common/security-headers';
import { McpModule } from '../mcp/mcp.module';
import { SessionsModule } from '../sessions/sessions.module';
import { HostOriginGuard } from './host-origin.guard';
import { beginExchange, type McpRoute } from '../common/mcp-exchange';
import { McpController } from './mcp.controller';
import { MessagesController } from './messages.controller';
import { SseController } from './sse.controller';
import { SseService } from './sse.service';
import { StreamableHttpService } from './streamable-http.service';
import { LiveResources } from './live-resources';
import { SubscriptionsModule } from '../subscriptions/subscriptions.module';

const PAGE_HEADERS = capturedHeaders(strictSecurityHeaders).map(([name]) => name);

/**
 * Marks a request as an MCP exchange on its route before any guard sees it. Event streams (GET)
 * carry none of the page-oriented security headers every other response gets.
 */
const exchangeOn =
  (route: McpRoute) => (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    beginExchange(req, route);
    if (req.method === 'GET') for (const name of PAGE_HEADERS) res.removeHeader(name);
    next();
  };

/** MCP over HTTP: Streamable HTTP at /mcp and the legacy HTTP+SSE pair /sse + /messages. */
@Module({})
export class TransportModule implements NestModule {
  /**
   * `surface` is the module that provides MCP_SERVER_FACTORY: the Aare MCP module in the product;
   * the conformance suite's fixture module in its tests, on the same transport stack.
   */
  static forRoot(surface: Type = McpModule): DynamicModule {
    return {
      module: TransportModule,
      imports: [surface, SessionsModule, SubscriptionsModule],
      controllers: [McpController, SseController, MessagesController],
      providers: [StreamableHttpService, SseService, HostOriginGuard, LiveResources],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    // Whatever path variant reached a controller (/mcp/, /mcp?…, /MCP), it is that route.
    consumer.apply(exchangeOn('/mcp')).forRoutes({ path: 'mcp', method: RequestMethod.ALL });
    consumer.apply(exchangeOn('/sse')).forRoutes({ path: 'sse', method: RequestMethod.ALL });
    consumer
      .apply(exchangeOn('/messages'))
      .forRoutes({ path: 'messages', method: RequestMethod.ALL });
  }
}
