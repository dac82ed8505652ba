import {
  type McpServer,
  ProtocolError,
  ProtocolErrorCode,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { SubscriptionsService } from './subscriptions.service';

/**
 * Who subscribes, from a request's context: the session over HTTP, the one client over stdio.
 * A sessionless HTTP request (2026-07-28) cannot subscribe this way: it listens instead.
 */
function subscriberOf(
  ctx: ServerContext,
  subscriptions: SubscriptionsService,
): { subscriber: string; keyLabel: string } {
  if (!ctx.http) return { subscriber: subscriptions.stdioSubscriber, keyLabel: 'stdio' };
  if (!ctx.sessionId) {
    throw new ProtocolError(
      ProtocolErrorCode.InvalidRequest,
      'resources/subscribe needs a session; without one, use subscriptions/listen',
    );
  }
  return { subscriber: ctx.sessionId, keyLabel: ctx.http.authInfo?.clientId || 'anonymous' };
}

/**
 * `resources/subscribe` and `resources/unsubscribe` on a server, and the capability that says so.
 * McpServer leaves both to us; called before the server is connected.
 */
export function registerSubscriptionHandlers(
  server: McpServer,
  subscriptions: SubscriptionsService,
): void {
  server.server.registerCapabilities({ resources: { subscribe: true, listChanged: true } });
  server.server.setRequestHandler('resources/subscribe', async (request, ctx) => {
    const { subscriber, keyLabel } = subscriberOf(ctx, subscriptions);
    await subscriptions.subscribe(subscriber, keyLabel, request.params.uri);
    return {};
  });
  server.server.setRequestHandler('resources/unsubscribe', async (request, ctx) => {
    const { subscriber } = subscriberOf(ctx, subscriptions);
    await subscriptions.unsubscribe(subscriber, request.params.uri);
    return {};
  });
}
