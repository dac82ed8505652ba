import { OAuthError, OAuthErrorCode, verifyBearerToken } from '@modelcontextprotocol/server';
import {
  FAKE_RESOURCE,
  FakeIdentityProvider,
  oauthConfigFor,
} from '../../../test/support/fake-identity-provider';
import type { OAuthConfig } from '../../config/configuration.types';
import { JwtTokenVerifier } from './jwt-token-verifier';
import { IdentityProviderUnavailableError } from './token-verifier';

/** The OAuthError the verifier refuses `token` with. */
async function refusal(verifier: JwtTokenVerifier, token: string): Promise<OAuthError> {
  const error: unknown = await verifier.verifyAccessToken(token).then(
    () => new Error('the token was accepted'),
    (refused: unknown) => refused,
  );
  if (!(error instanceof OAuthError)) throw error;
  expect(error.code).toBe(OAuthErrorCode.InvalidToken);
  return error;
}

describe('JwtTokenVerifier', () => {
  let idp: FakeIdentityProvider;
  let config: OAuthConfig;
  let verifier: JwtTokenVerifier;

  beforeAll(async () => {
    idp = await FakeIdentityProvider.start();
  });

  afterAll(() => idp.close());

  beforeEach(() => {
    config = oauthConfigFor(idp);
    verifier = new JwtTokenVerifier(config);
  });

  describe('a good token', () => {
    it('says who calls, with what scopes, until when, for this resource', async () => {
      const token = await idp.token({
        aud: FAKE_RESOURCE,
        scope: 'mcp:read mcp:write',
        roles: ['Reader'],
        azp: 'claude-desktop',
      });
      const verified = await verifier.verifyAccessToken(token);
      expect(verified).toEqual({
        token: '',
        clientId: 'claude-desktop',
        scopes: ['mcp:read', 'mcp:write'],
        expiresAt: expect.any(Number) as number,
        resource: new URL(FAKE_RESOURCE),
        extra: {
          issuer: idp.issuer,
          caller: 'alice',
          roles: ['Reader'],
          clientApp: 'claude-desktop',
        },
      });
      expect(verified.expiresAt).toBeGreaterThan(Date.now() / 1000);
    });

    it('passes the SDK bearer check for the resource', async () => {
      const token = await idp.token({ aud: FAKE_RESOURCE, scope: 'mcp' });
      const authInfo = await verifyBearerToken(`Bearer ${token}`, {
        verifier,
        expectedResource: new URL(config.resource),
        requiredScopes: ['mcp'],
      });
      expect(authInfo.extra?.caller).toBe('alice');
    });

    it('accepts the access token types of RFC 9068 in any case', async () => {
      for (const typ of ['at+jwt', 'application/AT+JWT', 'jwt']) {
        const token = await idp.token({ aud: FAKE_RESOURCE }, { header: { typ } });
        await expect(verifier.verifyAccessToken(token)).resolves.toBeDefined();
      }
    });

    it('finds the key of a token without kid among several published keys', async () => {
      const other = await FakeIdentityProvider.start();
      try {
        await other.rotate({ keepOld: true });
        const token = await other.token({ aud: FAKE_RESOURCE }, { header: { kid: undefined } });
        const verified = await new JwtTokenVerifier(oauthConfigFor(other)).verifyAccessToken(token);
        expect(verified.extra.caller).toBe('alice');
      } finally {
        await other.close();
      }
    });
  });

  describe('time', () => {
    it('refuses a token expired beyond the clock skew', async () => {
      const token = await idp.token({ aud: FAKE_RESOURCE }, { expiresIn: -61 });
      expect((await refusal(verifier, token)).message).toBe('The token has expired');
    });

    it('accepts a token expired within the clock skew, through the SDK check too', async () => {
      const token = await idp.token({ aud: FAKE_RESOURCE }, { expiresIn: -30 });
      await expect(verifier.verifyAccessToken(token)).resolves.toBeDefined();
      await expect(
        verifyBearerToken(`Bearer ${token}`, {
          verifier,
          expectedResource: new URL(config.resource),
        }),
      ).resolves.toMatchObject({ extra: { caller: 'alice' } });
    });

    it('refuses a token not valid yet', async () => {
      const token = await idp.token({ aud: FAKE_RESOURCE }, { notBefore: 120 });
      expect((await refusal(verifier, token)).message).toBe('The token is not valid yet');
    });

    it('reads the time from the injected clock', async () => {
      const issuedAt = Date.UTC(2030, 0, 1);
      const token = await idp.token({ aud: FAKE_RESOURCE }, { now: issuedAt, expiresIn: 300 });
      const at = (ms: number) => new JwtTokenVerifier(config, { now: () => ms });
      await expect(at(issuedAt + 299_000).verifyAccessToken(token)).resolves.toBeDefined();
      expect((await refusal(at(issuedAt + 400_000), token)).message).toBe('The token has expired');
    });

    it('refuses a token without exp', async () => {
      const token = await idp.token({ aud: FAKE_RESOURCE }, { omitExp: true });
      expect((await refusal(verifier, token)).message).toMatch(/expiry \(exp\)/);
    });
  });

  describe('audience', () => {
    it('refuses a token for another audience, naming both', async () => {
      const token = await idp.token({ aud: 'https://other.example/api' });
      expect((await refusal(verifier, token)).message).toBe(
        'The token was issued for another audience (https://other.example/api); this server ' +
          'accepts http://localhost:3000/mcp, http://localhost:3000, api://aareguru',
      );
    });

    it('refuses a token naming no audience', async () => {
      const token = await idp.token({ aud: undefined });
      expect((await refusal(verifier, token)).message).toMatch(/names no audience/);
    });

    it('accepts an alias audience and reports the canonical resource', async () => {
      const token = await idp.token({ aud: ['https://other.example', 'api://aareguru'] });
      const verified = await verifier.verifyAccessToken(token);
      expect(verified.resource?.href).toBe(FAKE_RESOURCE);
    });

    it('accepts the resource with a trailing slash', async () => {
      const token = await idp.token({ aud: `${FAKE_RESOURCE}/` });
      await expect(verifier.verifyAccessToken(token)).resolves.toBeDefined();
    });
  });

  describe('issuer', () => {
    it('refuses a token from an issuer it does not trust, without asking it', async () => {
      const before = idp.metadataRequests + idp.jwksRequests;
      const token = await idp.token({ aud: FAKE_RESOURCE, iss: 'https://evil.example' });
      expect((await refusal(verifier, token)).message).toBe(
        'The token is issued by https://evil.example, which this server does not trust',
      );
      expect(idp.metadataRequests + idp.jwksRequests).toBe(before);
    });

    it('echoes an untrusted issuer without control characters, cut at 200 characters', async () => {
      const token = await idp.token({ aud: FAKE_RESOURCE, iss: `https://x\r\n${'y'.repeat(500)}` });
      const { message } = await refusal(verifier, token);
      expect(message).not.toMatch(/[\r\n]/);
      expect(message).toContain(`https://x${'y'.repeat(191)}…,`);
      expect(message).not.toContain('y'.repeat(192));
    });
  });

  describe('hostile tokens', () => {
    it('refuses an unsigned token (alg none) before any key lookup', async () => {
      const fresh = await FakeIdentityProvider.start();
      try {
        const token = fresh.unsignedToken({ aud: FAKE_RESOURCE });
        const message = (await refusal(new JwtTokenVerifier(oauthConfigFor(fresh)), token)).message;
        expect(message).toBe('The token is not signed; accepted: RS256, ES256');
        expect(fresh.metadataRequests + fresh.jwksRequests).toBe(0);
      } finally {
        await fresh.close();
      }
    });

    it.each(['pem', 'jwk'] as const)(
      'refuses HS256 keyed with the public key (%s) before any key lookup',
      async (as) => {
        const fresh = await FakeIdentityProvider.start();
        try {
          const token = await fresh.hs256WithPublicKey({ aud: FAKE_RESOURCE }, as);
          const message = (await refusal(new JwtTokenVerifier(oauthConfigFor(fresh)), token))
            .message;
          expect(message).toBe('The token is signed with HS256; accepted: RS256, ES256');
          expect(fresh.metadataRequests + fresh.jwksRequests).toBe(0);
        } finally {
          await fresh.close();
        }
      },
    );

    it('refuses HS256 keyed with the public key even when HS256 is in the list', async () => {
      // Configuration never allows HS256; were it listed, a public key still is no HMAC secret.
      const withHs = new JwtTokenVerifier(oauthConfigFor(idp, { algorithms: ['RS256', 'HS256'] }));
      const token = await idp.hs256WithPublicKey({ aud: FAKE_RESOURCE });
      expect((await refusal(withHs, token)).message).toBe(
        "The token's algorithm is one no published key serves",
      );
    });

    it('refuses an algorithm not in the list', async () => {
      const rsOnly = new JwtTokenVerifier(oauthConfigFor(idp, { algorithms: ['RS256'] }));
      const token = await idp.token({ aud: FAKE_RESOURCE }, { alg: 'ES256' });
      expect((await refusal(rsOnly, token)).message).toBe(
        'The token is signed with ES256; accepted: RS256',
      );
    });

    it('refuses a token whose signature does not verify, without echoing it', async () => {
      const token = await idp.token({ aud: FAKE_RESOURCE });
      const [header, , signature] = token.split('.');
      const forged = Buffer.from(
        JSON.stringify({ iss: idp.issuer, sub: 'mallory', aud: FAKE_RESOURCE, exp: 4e9 }),
      ).toString('base64url');
      const { message } = await refusal(verifier, `${header}.${forged}.${signature}`);
      expect(message).toBe("The token's signature does not verify");
      expect(message).not.toContain(signature.slice(0, 16));
    });

    it('refuses a token signed with a key the issuer does not publish', async () => {
      const token = await idp.token({ aud: FAKE_RESOURCE }, { kid: 'unpublished' });
      expect((await refusal(verifier, token)).message).toBe(
        'The token is signed with a key the issuer does not publish',
      );
    });

    it('refuses an unknown token type', async () => {
      const token = await idp.token({ aud: FAKE_RESOURCE }, { header: { typ: 'dpop+jwt' } });
      expect((await refusal(verifier, token)).message).toBe(
        "The token's type is dpop+jwt; accepted: JWT, at+jwt",
      );
    });

    it('accepts the access token types Keycloak and RFC 9068 write in the payload', async () => {
      for (const typ of ['Bearer', 'at+jwt']) {
        const token = await idp.token({ aud: FAKE_RESOURCE, typ });
        await expect(verifier.verifyAccessToken(token)).resolves.toBeDefined();
      }
    });

    it.each([
      ['ID', 'an ID token'],
      ['Refresh', 'a refresh token'],
      ['Offline', 'an offline token'],
      ['Logout', 'a logout token'],
    ])('refuses a token whose payload typ is %s', async (typ, kind) => {
      const token = await idp.token({ aud: FAKE_RESOURCE, typ });
      expect((await refusal(verifier, token)).message).toBe(
        `The token is ${kind} (typ ${typ}), not an access token`,
      );
    });

    it('refuses any other payload typ', async () => {
      const token = await idp.token({ aud: FAKE_RESOURCE, typ: 'constructor' });
      expect((await refusal(verifier, token)).message).toBe(
        "The token's payload type is constructor; accepted: Bearer, at+jwt",
      );
    });

    it('refuses an OpenID Connect ID token, which carries a nonce', async () => {
      const token = await idp.token({ aud: FAKE_RESOURCE, nonce: 'n-0S6_WzA2Mj' });
      expect((await refusal(verifier, token)).message).toBe(
        'The token carries a nonce, as an OpenID Connect ID token does: send the access token',
      );
    });

    it('accepts a nonce in a token whose payload says it is an access token (older Keycloak)', async () => {
      const token = await idp.token({ aud: FAKE_RESOURCE, nonce: 'n-0S6_WzA2Mj', typ: 'Bearer' });
      await expect(verifier.verifyAccessToken(token)).resolves.toBeDefined();
    });

    it.each(['', 'opaque-token', 'a.b.c', 'x'.repeat(50)])(
      'refuses %p as not a JWT',
      async (token) => {
        expect((await refusal(verifier, token)).message).toBe('The token is not a JWT');
      },
    );
  });

  describe('keys the provider publishes that this server cannot use', () => {
    // Its own provider: the keys published here would stay in the shared one's set.
    let keyring: FakeIdentityProvider;
    beforeEach(async () => {
      keyring = await FakeIdentityProvider.start();
    });
    afterEach(() => keyring.close());

    async function unavailability(
      token: string,
      algorithms = ['RS256', 'ES256'],
    ): Promise<IdentityProviderUnavailableError> {
      const error: unknown = await new JwtTokenVerifier(oauthConfigFor(keyring, { algorithms }))
        .verifyAccessToken(token)
        .catch((e: unknown) => e);
      if (!(error instanceof IdentityProviderUnavailableError)) throw error;
      return error;
    }

    it('answers unavailable for an RSA key under 2048 bits', async () => {
      const error = await unavailability(keyring.weakRsaToken({ aud: FAKE_RESOURCE }));
      expect(error.message).toBe(
        'The provider publishes a key this server cannot use: ' +
          'RS256 requires key modulusLength to be 2048 bits or larger',
      );
    });

    it('answers unavailable for a key that does not import', async () => {
      keyring.publishRaw({
        kty: 'EC',
        crv: 'P-256',
        kid: 'broken',
        alg: 'ES256',
        x: 'AA',
        y: 'AA',
      });
      const token = await keyring.token({ aud: FAKE_RESOURCE }, { kid: 'broken', alg: 'ES256' });
      const error = await unavailability(token);
      expect(error.message).toBe(
        'The provider publishes a key this server cannot use: Invalid keyData (Invalid JWK EC key)',
      );
    });

    it('answers unavailable for a key with operations WebCrypto refuses', async () => {
      const [published] = keyring.jwks.keys;
      keyring.publishRaw({ ...published, kid: 'odd', key_ops: ['verify', 'unwrapKey'] });
      const token = await keyring.token({ aud: FAKE_RESOURCE }, { kid: 'odd' });
      const error = await unavailability(token);
      // WebCrypto's own words differ between Node versions.
      expect(error.message).toMatch(
        /^The provider publishes a key this server cannot use: Unsupported key usage for /,
      );
    });
  });

  describe('caller and client', () => {
    it('refuses a token without the caller claim', async () => {
      const byOid = new JwtTokenVerifier(oauthConfigFor(idp, { callerClaim: 'oid' }));
      const token = await idp.token({ aud: FAKE_RESOURCE });
      expect((await refusal(byOid, token)).message).toBe('The token names no caller in oid');
    });

    it('takes azp as the caller when told to', async () => {
      const byAzp = new JwtTokenVerifier(oauthConfigFor(idp, { callerClaim: 'azp' }));
      const token = await idp.token({ aud: FAKE_RESOURCE, azp: 'nightly-report' });
      const verified = await byAzp.verifyAccessToken(token);
      expect(verified.extra.caller).toBe('nightly-report');
      expect(verified.clientId).toBe('nightly-report');
    });

    it('turns a numeric caller into a string', async () => {
      const token = await idp.token({ aud: FAKE_RESOURCE, sub: 4711 });
      expect((await verifier.verifyAccessToken(token)).extra.caller).toBe('4711');
    });

    it.each([
      ['empty', ''],
      ['too long', 'a'.repeat(257)],
      ['with a control character', 'alice\nadmin'],
      ['not a string', { name: 'alice' }],
    ])('refuses a caller that is %s', async (_, sub) => {
      const token = await idp.token({ aud: FAKE_RESOURCE, sub });
      expect((await refusal(verifier, token)).message).toBe('The token names no caller in sub');
    });

    it('names the client application from azp, else client_id, else cid, else appid', async () => {
      const clientOf = async (claims: Record<string, unknown>) =>
        (await verifier.verifyAccessToken(await idp.token({ aud: FAKE_RESOURCE, ...claims }))).extra
          .clientApp;
      expect(await clientOf({ azp: 'a', client_id: 'b', appid: 'c' })).toBe('a');
      expect(await clientOf({ client_id: 'b', cid: 'o', appid: 'c' })).toBe('b');
      expect(await clientOf({ cid: 'o', appid: 'c' })).toBe('o');
      expect(await clientOf({ appid: 'c' })).toBe('c');
      expect(await clientOf({})).toBeNull();
    });

    it('gives the caller as clientId when no client application is named', async () => {
      const token = await idp.token({ aud: FAKE_RESOURCE });
      expect((await verifier.verifyAccessToken(token)).clientId).toBe('alice');
    });
  });

  describe('scopes and roles', () => {
    const scopesOf = async (claims: Record<string, unknown>) =>
      (await verifier.verifyAccessToken(await idp.token({ aud: FAKE_RESOURCE, ...claims }))).scopes;

    it('reads scope', async () => {
      expect(await scopesOf({ scope: 'mcp:read mcp:admin' })).toEqual(['mcp:read', 'mcp:admin']);
    });

    it('reads scp as a string (Entra ID) and as an array (Okta)', async () => {
      expect(await scopesOf({ scp: 'mcp.read' })).toEqual(['mcp.read']);
      expect(await scopesOf({ scp: ['mcp.read', 'mcp.write'] })).toEqual(['mcp.read', 'mcp.write']);
    });

    it('grants no scope when the token names none', async () => {
      expect(await scopesOf({})).toEqual([]);
    });

    it('reads roles', async () => {
      const token = await idp.token({ aud: FAKE_RESOURCE, roles: ['Aare.Admin', 5] });
      expect((await verifier.verifyAccessToken(token)).extra.roles).toEqual(['Aare.Admin']);
    });
  });
});
