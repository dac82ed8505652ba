import {
  Client,
  SSEClientTransport,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { withRequestStateKey } from './redis';
import { MAIN_JS } from './spawn-server';

export type ClientKind = 'streamable-2025' | 'streamable-2026' | 'sse' | 'stdio';

export interface ConnectedClient {
  client: Client;
  kind: ClientKind;
  /** The Streamable HTTP transport, for session details. */
  http?: StreamableHTTPClientTransport;
  close(): Promise<void>;
}

const CLIENT_INFO = { name: 'aareguru-e2e', version: '1.0.0' };

/** Connects the official MCP client over one transport and protocol era. */
export async function connectClient(
  kind: ClientKind,
  target: { url?: string; env?: NodeJS.ProcessEnv; apiKey?: string },
): Promise<ConnectedClient> {
  const fetch = target.apiKey ? withApiKey(target.apiKey) : undefined;
  switch (kind) {
    case 'streamable-2025': {
      const client = new Client(CLIENT_INFO);
      const http = new StreamableHTTPClientTransport(new URL(`${target.url}/mcp`), { fetch });
      await client.connect(http);
      return { client, kind, http, close: () => client.close() };
    }
    case 'streamable-2026': {
      const client = new Client(CLIENT_INFO, {
        versionNegotiation: { mode: { pin: '2026-07-28' } },
      });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`${target.url}/mcp`), { fetch }),
      );
      return { client, kind, close: () => client.close() };
    }
    case 'sse': {
      const client = new Client(CLIENT_INFO);
      await client.connect(new SSEClientTransport(new URL(`${target.url}/sse`), { fetch }));
      return { client, kind, close: () => client.close() };
    }
    case 'stdio': {
      const client = new Client(CLIENT_INFO);
      const stdio = new StdioClientTransport({
        command: process.execPath,
        args: [MAIN_JS, '--transport', 'stdio'],
        env: withRequestStateKey({
          PATH: process.env.PATH ?? '',
          LOG_LEVEL: 'warn',
          ...target.env,
        }) as Record<string, string>,
        stderr: 'pipe',
      });
      await client.connect(stdio);
      return { client, kind, close: () => client.close() };
    }
  }
}

/** A fetch that sends the API key on every request, the stream included. */
export function withApiKey(apiKey: string): typeof fetch {
  return (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set('X-API-Key', apiKey);
    return fetch(input, { ...init, headers });
  };
}

export { eventually } from './eventually';
