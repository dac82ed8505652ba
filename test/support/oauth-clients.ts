import {
  type AuthProvider,
  Client,
  SSEClientTransport,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import type { ClientKind, ConnectedClient } from './mcp-clients';

const CLIENT_INFO = { name: 'aareguru-oauth-e2e', version: '1.0.0' };

/**
 * The smallest auth provider the official client takes: a token it already holds, sent as
 * `Authorization: Bearer` on every request (the SSE stream and its POSTs included). No
 * `onUnauthorized`: a refused token surfaces as the client's error instead of a login flow.
 */
export function bearerProvider(token: string | (() => string)): AuthProvider {
  return { token: async () => (typeof token === 'string' ? token : token()) };
}

/** Connects the official MCP client over an HTTP transport with a bearer token. */
export async function connectWithToken(
  kind: Exclude<ClientKind, 'stdio'>,
  url: string,
  token: string | (() => string),
): Promise<ConnectedClient> {
  const authProvider = bearerProvider(token);
  switch (kind) {
    case 'streamable-2025': {
      const client = new Client(CLIENT_INFO);
      const http = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { authProvider });
      await client.connect(http);
      return { client, kind, http, close: () => client.close() };
    }
    case 'streamable-2026': {
      const client = new Client(CLIENT_INFO, {
        versionNegotiation: { mode: { pin: '2026-07-28' } },
      });
      const http = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { authProvider });
      await client.connect(http);
      return { client, kind, http, close: () => client.close() };
    }
    case 'sse': {
      const client = new Client(CLIENT_INFO);
      await client.connect(new SSEClientTransport(new URL(`${url}/sse`), { authProvider }));
      return { client, kind, close: () => client.close() };
    }
  }
}

/** `WWW-Authenticate` parameters as a client reads them (quoted-string values unescaped). */
export function challengeParams(header: string): Record<string, string> {
  return Object.fromEntries(
    [...header.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [
      m[1],
      m[2].replace(/\\(.)/g, '$1'),
    ]),
  );
}

/** As behind a gateway: clients reach the server under this URL, tokens are issued for it. */
export const PUBLIC_BASE = 'https://aare.example.test';
export const MCP_RESOURCE = `${PUBLIC_BASE}/mcp`;
export const REQUIRED_SCOPE = 'aare.read';

/** A resource server trusting `idp` (keys found through its discovery document). */
export function resourceServerEnv(
  idp: { issuer: string },
  overrides: NodeJS.ProcessEnv = {},
): NodeJS.ProcessEnv {
  return {
    AUTH_MODE: 'oauth',
    PUBLIC_BASE_URL: PUBLIC_BASE,
    OAUTH_ISSUERS: idp.issuer,
    OAUTH_REQUIRED_SCOPES: REQUIRED_SCOPE,
    // Small, so tokens a minute off are plainly outside it.
    OAUTH_CLOCK_SKEW_SECONDS: '5',
    ...overrides,
  };
}
