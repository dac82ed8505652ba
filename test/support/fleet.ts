import {
  Client,
  SSEClientTransport,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import type { Clock } from '../../src/common/clock';
import { startApp, type RunningApp } from './http-app';
import { FakeAareguru } from '../fake-upstream/fake-aareguru';
import { REDIS_URL } from './redis';

const CLIENT_INFO = { name: 'aareguru-fleet-e2e', version: '1.0.0' };

/** Two replicas in this process sharing one Redis and key prefix (and one fake upstream). */
export async function startReplicas(
  prefix: string,
  env: NodeJS.ProcessEnv = {},
  redisUrl = REDIS_URL,
  clockOfA?: Clock,
): Promise<{ a: RunningApp; b: RunningApp; fake: FakeAareguru; close(): Promise<void> }> {
  const fake = new FakeAareguru();
  await fake.start();
  const shared = { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, AAREGURU_RETRIES: '0', ...env };
  const a = await startApp({ ...shared, REPLICA_ID: 'replica-a' }, fake, clockOfA);
  const b = await startApp({ ...shared, REPLICA_ID: 'replica-b' }, fake);
  return {
    a,
    b,
    fake,
    close: async () => {
      await Promise.allSettled([a.close(), b.close()]);
      await fake.stop();
    },
  };
}

/** Where a client's next request goes: tests move it from one replica to another. */
export interface Route {
  url: string;
  /** For legacy SSE: where POST /messages goes (the stream stays where it was opened). */
  messagesUrl?: string;
  apiKey?: string;
}

/** A fetch that sends every request to the route's current replica (and the API key, if any). */
export function routedFetch(route: Route): typeof fetch {
  return (input, init) => {
    const original = new URL(input instanceof Request ? input.url : input.toString());
    const base = original.pathname.startsWith('/messages')
      ? (route.messagesUrl ?? route.url)
      : route.url;
    const target = new URL(original.pathname + original.search, base);
    const headers = new Headers(init?.headers);
    if (route.apiKey) headers.set('X-API-Key', route.apiKey);
    return fetch(target, { ...init, headers });
  };
}

/** The official 2025-era Streamable HTTP client, its requests sent wherever the route says. */
export async function connectRouted2025(
  route: Route,
): Promise<{ client: Client; http: StreamableHTTPClientTransport }> {
  const client = new Client(CLIENT_INFO);
  const http = new StreamableHTTPClientTransport(new URL(`${route.url}/mcp`), {
    fetch: routedFetch(route),
  });
  await client.connect(http);
  return { client, http };
}

/** The official legacy SSE client: the stream on `route.url`, POSTs wherever `messagesUrl` says. */
export async function connectRoutedSse(route: Route): Promise<{ client: Client }> {
  const client = new Client(CLIENT_INFO);
  await client.connect(
    new SSEClientTransport(new URL(`${route.url}/sse`), { fetch: routedFetch(route) }),
  );
  return { client };
}
