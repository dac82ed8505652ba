import type { OAuthConfig } from '../../config/configuration.types';
import { bearerChallenge } from './bearer-challenge';
import { ProtectedResource } from './protected-resource';

const oauth = (base: string, overrides: Partial<OAuthConfig> = {}): OAuthConfig => ({
  issuers: ['https://login.example.com/tenant/v2.0', 'https://idp.example.org'],
  jwksUrl: null,
  resource: `${base}/mcp`,
  rootResource: base,
  audiences: [`${base}/mcp`, base],
  requiredScopes: ['aare.read'],
  adminScope: 'Aare.Admin',
  callerClaim: 'sub',
  algorithms: ['RS256'],
  clockSkewSeconds: 60,
  clients: [],
  jwksTimeoutMs: 5000,
  jwksCooldownMs: 30000,
  ...overrides,
});

describe('ProtectedResource', () => {
  it('publishes RFC 9728 metadata for /mcp and for the server, naming every issuer', () => {
    const resource = new ProtectedResource(
      { oauth: oauth('https://aare.example.com') },
      { publicBasePath: '' },
    );
    expect(resource.metadataUrl).toEqual({
      mcp: 'https://aare.example.com/.well-known/oauth-protected-resource/mcp',
      server: 'https://aare.example.com/.well-known/oauth-protected-resource',
    });
    expect(resource.documentAt('/.well-known/oauth-protected-resource/mcp')).toEqual({
      resource: 'https://aare.example.com/mcp',
      authorization_servers: ['https://login.example.com/tenant/v2.0', 'https://idp.example.org'],
      scopes_supported: ['aare.read'],
      bearer_methods_supported: ['header'],
      resource_name: 'Aareguru MCP: the Aare river in Switzerland',
      resource_documentation: 'https://aare.example.com/docs',
    });
    expect(resource.documentAt('/.well-known/oauth-protected-resource')).toMatchObject({
      resource: 'https://aare.example.com/',
    });
    expect(resource.documentAt('/.well-known/oauth-protected-resource/sse')).toBeUndefined();
  });

  it('puts PUBLIC_BASE_URL’s path after the well-known segment, and serves it without too', () => {
    const resource = new ProtectedResource(
      { oauth: oauth('https://gw.example.com/aare') },
      { publicBasePath: '/aare' },
    );
    expect(resource.metadataUrl.mcp).toBe(
      'https://gw.example.com/.well-known/oauth-protected-resource/aare/mcp',
    );
    for (const path of [
      '/.well-known/oauth-protected-resource/aare/mcp',
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource/mcp/',
    ])
      expect(resource.documentAt(path)?.resource).toBe('https://gw.example.com/aare/mcp');
    expect(resource.documentAt('/.well-known/oauth-protected-resource/aare')?.resource).toBe(
      'https://gw.example.com/aare',
    );
  });

  it('leaves scopes out when none are required', () => {
    const resource = new ProtectedResource(
      { oauth: oauth('https://aare.example.com', { requiredScopes: [] }) },
      { publicBasePath: '' },
    );
    expect(resource.documentAt('/.well-known/oauth-protected-resource/mcp')).not.toHaveProperty(
      'scopes_supported',
    );
  });

  it('has nothing to publish without OAuth', () => {
    const resource = new ProtectedResource({ oauth: null }, { publicBasePath: '' });
    expect(resource.documentAt('/.well-known/oauth-protected-resource')).toBeUndefined();
  });
});

describe('bearerChallenge', () => {
  const resourceMetadata = 'https://aare.example.com/.well-known/oauth-protected-resource/mcp';

  it('carries no error code when no token was sent (RFC 6750 §3.1)', () => {
    expect(bearerChallenge({ resourceMetadata, scopes: ['aare.read', 'aare.call'] })).toBe(
      `Bearer resource_metadata="${resourceMetadata}", scope="aare.read aare.call"`,
    );
    expect(bearerChallenge({ resourceMetadata, scopes: [] })).toBe(
      `Bearer resource_metadata="${resourceMetadata}"`,
    );
  });

  it('quotes what it is given, so a description cannot break the header', () => {
    expect(
      bearerChallenge({
        error: 'invalid_token',
        description: 'issued by "evil"\\x\r\nSet-Cookie: a=b',
        resourceMetadata,
        scopes: [],
      }),
    ).toBe(
      `Bearer error="invalid_token", error_description="issued by \\"evil\\"\\\\x  Set-Cookie: a=b", resource_metadata="${resourceMetadata}"`,
    );
  });
});
