import { Inject, Injectable } from '@nestjs/common';
import {
  buildOAuthProtectedResourceMetadata,
  getOAuthProtectedResourceMetadataUrl,
  type OAuthMetadata,
  type OAuthProtectedResourceMetadata,
} from '@modelcontextprotocol/server';
import { AUTH_CONFIG, MCP_CONFIG } from '../../config/app-config.module';
import type { AuthConfig, McpConfig, OAuthConfig } from '../../config/configuration.types';

export const WELL_KNOWN_PATH = '/.well-known/oauth-protected-resource';

/**
 * This server as an OAuth protected resource (RFC 9728): two resource identifiers, `/mcp`
 * (Streamable HTTP) and the server as a whole (PUBLIC_BASE_URL, which legacy SSE clients ask
 * tokens for), each with its metadata document. Null members when tokens are not taken.
 */
@Injectable()
export class ProtectedResource {
  /** Where the 401/403 challenges send clients, by route. */
  readonly metadataUrl: { mcp: string; server: string };
  private readonly documents = new Map<string, OAuthProtectedResourceMetadata>();

  constructor(
    @Inject(AUTH_CONFIG) auth: Pick<AuthConfig, 'oauth'>,
    @Inject(MCP_CONFIG) mcp: Pick<McpConfig, 'publicBasePath'>,
  ) {
    const oauth = auth.oauth;
    if (!oauth) {
      this.metadataUrl = { mcp: '', server: '' };
      return;
    }
    const mcpResource = new URL(oauth.resource);
    const serverResource = new URL(oauth.rootResource);
    this.metadataUrl = {
      mcp: getOAuthProtectedResourceMetadataUrl(mcpResource),
      server: getOAuthProtectedResourceMetadataUrl(serverResource),
    };
    const mcpDocument = documentFor(oauth, mcpResource);
    const serverDocument = documentFor(oauth, serverResource);
    // The RFC puts the resource's path after the well-known segment (with PUBLIC_BASE_URL's path
    // prefix in it). A gateway that strips that prefix forwards the path without it: both work.
    for (const prefix of new Set([mcp.publicBasePath, ''])) {
      this.documents.set(`${WELL_KNOWN_PATH}${prefix}`, serverDocument);
      this.documents.set(`${WELL_KNOWN_PATH}${prefix}/mcp`, mcpDocument);
    }
  }

  /** The metadata document served at a well-known path, or undefined. */
  documentAt(path: string): OAuthProtectedResourceMetadata | undefined {
    return this.documents.get(path.replace(/\/+$/, '') || '/');
  }
}

/**
 * Built with the SDK's helper, which also refuses an issuer that is not https (outside
 * localhost) at boot. The helper knows one authorization server; every configured issuer is one.
 */
function documentFor(oauth: OAuthConfig, resource: URL): OAuthProtectedResourceMetadata {
  const document = buildOAuthProtectedResourceMetadata({
    // Only the issuer is read: the authorization server's own metadata stays with it.
    oauthMetadata: { issuer: oauth.issuers[0] } as OAuthMetadata,
    resourceServerUrl: resource,
    scopesSupported: oauth.requiredScopes.length > 0 ? [...oauth.requiredScopes] : undefined,
    resourceName: 'Aareguru MCP: the Aare river in Switzerland',
    serviceDocumentationUrl: new URL(`${oauth.rootResource}/docs`),
  });
  const published = {
    ...document,
    authorization_servers: [...oauth.issuers],
    bearer_methods_supported: ['header'],
  };
  // The helper leaves the optional members it was not given as undefined: drop them.
  return Object.fromEntries(
    Object.entries(published).filter(([, value]) => value !== undefined),
  ) as OAuthProtectedResourceMetadata;
}
