import { OAuthError } from '@modelcontextprotocol/server';
import {
  FAKE_RESOURCE,
  FakeIdentityProvider,
  oauthConfigFor,
} from '../../../test/support/fake-identity-provider';
import type { OAuthConfig } from '../../config/configuration.types';
import { metadataUrls, STALE_KEYS_MAX_AGE_MS } from './issuer-keys';
import { JwtTokenVerifier } from './jwt-token-verifier';
import { IdentityProviderUnavailableError } from './token-verifier';

/** A clock for the verifier's cooldowns; jose reads Date.now, so specs that need it spy on that. */
class Clock {
  constructor(public ms = Date.now()) {}
  readonly now = (): number => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

async function unavailability(
  verifier: JwtTokenVerifier,
  token: string,
): Promise<IdentityProviderUnavailableError> {
  const error: unknown = await verifier.verifyAccessToken(token).then(
    () => new Error('the token was accepted'),
    (refused: unknown) => refused,
  );
  if (!(error instanceof IdentityProviderUnavailableError)) throw error;
  return error;
}

describe('metadataUrls', () => {
  it('asks OpenID discovery, then RFC 8414 with the well-known segment before the path', () => {
    expect(metadataUrls('https://login.example/realms/aare/')).toEqual([
      'https://login.example/realms/aare/.well-known/openid-configuration',
      'https://login.example/.well-known/oauth-authorization-server/realms/aare',
    ]);
    expect(metadataUrls('https://tenant.example')).toEqual([
      'https://tenant.example/.well-known/openid-configuration',
      'https://tenant.example/.well-known/oauth-authorization-server',
    ]);
  });
});

describe('IssuerKeys (through JwtTokenVerifier)', () => {
  const idps: FakeIdentityProvider[] = [];
  async function startIdp(
    options?: Parameters<typeof FakeIdentityProvider.start>[0],
  ): Promise<FakeIdentityProvider> {
    const idp = await FakeIdentityProvider.start(options);
    idps.push(idp);
    return idp;
  }

  afterEach(async () => {
    jest.restoreAllMocks();
    await Promise.all(idps.splice(0).map((idp) => idp.close()));
  });

  describe('discovery', () => {
    it('finds the keys through openid-configuration, once', async () => {
      const idp = await startIdp({ discovery: 'openid' });
      const verifier = new JwtTokenVerifier(oauthConfigFor(idp));
      await verifier.verifyAccessToken(await idp.token({ aud: FAKE_RESOURCE }));
      await verifier.verifyAccessToken(await idp.token({ aud: FAKE_RESOURCE }));
      expect([idp.metadataRequests, idp.jwksRequests]).toEqual([1, 1]);
    });

    it('finds the keys through oauth-authorization-server for an issuer with a path', async () => {
      const idp = await startIdp({ discovery: 'oauth', path: '/realms/aare' });
      expect(idp.issuer).toMatch(/\/realms\/aare$/);
      const verifier = new JwtTokenVerifier(oauthConfigFor(idp));
      const verified = await verifier.verifyAccessToken(await idp.token({ aud: FAKE_RESOURCE }));
      expect(verified.extra.issuer).toBe(idp.issuer);
      // openid-configuration answered 404 first.
      expect([idp.metadataRequests, idp.jwksRequests]).toEqual([2, 1]);
    });

    it('discovers concurrent first tokens once', async () => {
      const idp = await startIdp();
      const verifier = new JwtTokenVerifier(oauthConfigFor(idp));
      const tokens = await Promise.all([1, 2, 3].map(() => idp.token({ aud: FAKE_RESOURCE })));
      await Promise.all(tokens.map((token) => verifier.verifyAccessToken(token)));
      expect([idp.metadataRequests, idp.jwksRequests]).toEqual([1, 1]);
    });

    it('refuses metadata that names another issuer', async () => {
      const idp = await startIdp();
      idp.metadataIssuer = 'https://impostor.example';
      const verifier = new JwtTokenVerifier(oauthConfigFor(idp));
      const error = await unavailability(verifier, await idp.token({ aud: FAKE_RESOURCE }));
      expect(error.message).toBe(
        `The metadata at ${idp.issuer}/.well-known/openid-configuration is for issuer ` +
          `https://impostor.example, not ${idp.issuer}`,
      );
      expect(idp.jwksRequests).toBe(0);
    });

    it('says what went wrong when no metadata is published', async () => {
      const idp = await startIdp({ discovery: 'none' });
      const verifier = new JwtTokenVerifier(oauthConfigFor(idp));
      const error = await unavailability(verifier, await idp.token({ aud: FAKE_RESOURCE }));
      expect(error.message).toMatch(
        /^The metadata of issuer .+ could not be read: .+ answered 404; .+ answered 404$/,
      );
    });

    it('uses OAUTH_JWKS_URL for every issuer without asking for metadata', async () => {
      const idp = await startIdp({ discovery: 'none' });
      const verifier = new JwtTokenVerifier(
        oauthConfigFor(idp, {
          jwksUrl: idp.jwksUrl,
          issuers: [idp.issuer, 'https://other.example'],
        }),
      );
      await verifier.verifyAccessToken(await idp.token({ aud: FAKE_RESOURCE }));
      await verifier.verifyAccessToken(
        await idp.token({ aud: FAKE_RESOURCE, iss: 'https://other.example' }),
      );
      expect([idp.metadataRequests, idp.jwksRequests]).toEqual([0, 1]);
    });
  });

  describe('an identity provider that is down', () => {
    it('answers unavailable, asks again only after the cooldown, then recovers', async () => {
      const idp = await startIdp({ path: '/tenant' });
      const clock = new Clock();
      const verifier = new JwtTokenVerifier(oauthConfigFor(idp), { now: clock.now });
      idp.setUnavailable(true);
      const token = await idp.token({ aud: FAKE_RESOURCE });

      const error = await unavailability(verifier, token);
      expect(error.message).toMatch(/answered 503/);
      expect(idp.metadataRequests).toBe(2);

      clock.advance(29_999);
      await unavailability(verifier, token);
      expect(idp.metadataRequests).toBe(2);

      idp.setUnavailable(false);
      clock.advance(1);
      await expect(verifier.verifyAccessToken(token)).resolves.toBeDefined();
      expect([idp.metadataRequests, idp.jwksRequests]).toEqual([3, 1]);
    });

    it('does the same for OAUTH_JWKS_URL', async () => {
      const idp = await startIdp({ discovery: 'none' });
      const clock = new Clock();
      const config = oauthConfigFor(idp, { jwksUrl: idp.jwksUrl });
      const verifier = new JwtTokenVerifier(config, { now: clock.now });
      idp.setUnavailable(true);
      const token = await idp.token({ aud: FAKE_RESOURCE });

      const error = await unavailability(verifier, token);
      expect(error.message).toMatch(/^The keys of issuer .+ could not be fetched: Expected 200 OK/);
      await unavailability(verifier, token);
      expect(idp.jwksRequests).toBe(1);

      idp.setUnavailable(false);
      clock.advance(config.jwksCooldownMs);
      await expect(verifier.verifyAccessToken(token)).resolves.toBeDefined();
      expect(idp.jwksRequests).toBe(2);
    });

    it('answers unavailable when the keys do not arrive in time', async () => {
      const idp = await startIdp({ discovery: 'none' });
      idp.setSlow(2_000);
      const verifier = new JwtTokenVerifier(
        oauthConfigFor(idp, { jwksUrl: idp.jwksUrl, jwksTimeoutMs: 50 }),
      );
      const error = await unavailability(verifier, await idp.token({ aud: FAKE_RESOURCE }));
      expect(error.message).toMatch(/did not arrive in time/);
    });

    it('answers unavailable when nothing listens', async () => {
      const idp = await startIdp({ discovery: 'none' });
      const token = await idp.token({ aud: FAKE_RESOURCE });
      const verifier = new JwtTokenVerifier(oauthConfigFor(idp, { jwksUrl: idp.jwksUrl }));
      await idp.close();
      const error = await unavailability(verifier, token);
      expect(error.message).toMatch(/^The keys of issuer .+ could not be fetched: fetch failed/);
    });

    it('answers unavailable when discovery times out', async () => {
      const idp = await startIdp();
      idp.setSlow(2_000);
      const verifier = new JwtTokenVerifier(oauthConfigFor(idp, { jwksTimeoutMs: 50 }));
      const error = await unavailability(verifier, await idp.token({ aud: FAKE_RESOURCE }));
      expect(error.message).toMatch(/did not answer within 50 ms/);
    });

    it('still verifies with the keys at hand while it waits out the cooldown', async () => {
      const idp = await startIdp({ discovery: 'none' });
      const clock = new Clock();
      jest.spyOn(Date, 'now').mockImplementation(clock.now);
      const verifier = new JwtTokenVerifier(oauthConfigFor(idp, { jwksUrl: idp.jwksUrl }), {
        now: clock.now,
      });
      const known = await idp.token({ aud: FAKE_RESOURCE }, { expiresIn: 3600 });
      await verifier.verifyAccessToken(known);

      // Past jose's cooldown an unknown key id makes it fetch again, and that fails.
      clock.advance(31_000);
      idp.setUnavailable(true);
      const unknown = await idp.token({ aud: FAKE_RESOURCE }, { kid: 'unpublished' });
      await unavailability(verifier, unknown);
      expect(idp.jwksRequests).toBe(2);

      await expect(verifier.verifyAccessToken(known)).resolves.toBeDefined();
      await unavailability(verifier, unknown);
      expect(idp.jwksRequests).toBe(2);
    });
  });

  describe('an identity provider down when the keys are due again', () => {
    const KEY_SET_MAX_AGE_MS = 10 * 60 * 1000;

    async function setUp(config: Partial<OAuthConfig> = {}) {
      const idp = await startIdp();
      const clock = new Clock();
      jest.spyOn(Date, 'now').mockImplementation(clock.now);
      const oauth = oauthConfigFor(idp, config);
      const verifier = new JwtTokenVerifier(oauth, { now: clock.now });
      // Valid for longer than the keys are kept, so only the keys decide.
      const known = await idp.token({ aud: FAKE_RESOURCE }, { expiresIn: 3 * 24 * 3600 });
      await verifier.verifyAccessToken(known);
      expect(idp.jwksRequests).toBe(1);
      return { idp, clock, verifier, known, cooldown: oauth.jwksCooldownMs };
    }

    it('still verifies with the keys last received, during and after the cooldown', async () => {
      const { idp, clock, verifier, known, cooldown } = await setUp();
      clock.advance(KEY_SET_MAX_AGE_MS + 1);
      idp.setUnavailable(true);

      await expect(verifier.verifyAccessToken(known)).resolves.toBeDefined();
      expect(idp.jwksRequests).toBe(2);
      await expect(verifier.verifyAccessToken(known)).resolves.toBeDefined();
      expect(idp.jwksRequests).toBe(2);

      // Only a key id the keys at hand do not hold waits for the provider.
      const unknown = await idp.token({ aud: FAKE_RESOURCE }, { kid: 'unpublished' });
      await unavailability(verifier, unknown);
      expect(idp.jwksRequests).toBe(2);

      // Past the cooldown the provider is asked again, and the keys at hand still serve.
      clock.advance(cooldown);
      await expect(verifier.verifyAccessToken(known)).resolves.toBeDefined();
      expect(idp.jwksRequests).toBe(3);
    });

    it('fetches again once the provider is back after the cooldown', async () => {
      const { idp, clock, verifier, known, cooldown } = await setUp();
      clock.advance(KEY_SET_MAX_AGE_MS + 1);
      idp.setUnavailable(true);
      await expect(verifier.verifyAccessToken(known)).resolves.toBeDefined();

      idp.setUnavailable(false);
      await idp.rotate({ keepOld: true });
      const rotated = await idp.token({ aud: FAKE_RESOURCE });
      clock.advance(cooldown);
      await expect(verifier.verifyAccessToken(rotated)).resolves.toBeDefined();
      expect(idp.jwksRequests).toBe(3);
      await expect(verifier.verifyAccessToken(known)).resolves.toBeDefined();
      expect(idp.jwksRequests).toBe(3);
    });

    it(`serves keys at hand up to ${STALE_KEYS_MAX_AGE_MS / 3_600_000} hours old, then waits for the provider`, async () => {
      const { idp, clock, verifier, known, cooldown } = await setUp();
      idp.setUnavailable(true);
      clock.advance(STALE_KEYS_MAX_AGE_MS);
      await expect(verifier.verifyAccessToken(known)).resolves.toBeDefined();

      clock.advance(cooldown);
      const error = await unavailability(verifier, known);
      expect(error.message).toMatch(/^The keys of issuer .+ could not be fetched: Expected 200 OK/);
      expect(idp.jwksRequests).toBe(3);
    });
  });

  describe('key rotation', () => {
    it('fetches the keys once more for an unknown key id and verifies with the new key', async () => {
      const idp = await startIdp();
      const verifier = new JwtTokenVerifier(oauthConfigFor(idp, { jwksCooldownMs: 0 }));
      await verifier.verifyAccessToken(await idp.token({ aud: FAKE_RESOURCE }));
      expect(idp.jwksRequests).toBe(1);

      await idp.rotate();
      const verified = await verifier.verifyAccessToken(await idp.token({ aud: FAKE_RESOURCE }));
      expect(verified.extra.caller).toBe('alice');
      expect(idp.jwksRequests).toBe(2);
    });

    it('does not fetch again for a second unknown key id within the cooldown', async () => {
      const idp = await startIdp();
      const clock = new Clock();
      jest.spyOn(Date, 'now').mockImplementation(clock.now);
      const config: OAuthConfig = oauthConfigFor(idp, { jwksCooldownMs: 30_000 });
      const verifier = new JwtTokenVerifier(config, { now: clock.now });
      await verifier.verifyAccessToken(await idp.token({ aud: FAKE_RESOURCE }));

      clock.advance(30_001);
      await idp.rotate({ keepOld: true });
      await verifier.verifyAccessToken(await idp.token({ aud: FAKE_RESOURCE }));
      expect(idp.jwksRequests).toBe(2);

      clock.advance(29_000);
      const stranger = await idp.token({ aud: FAKE_RESOURCE }, { kid: 'unpublished' });
      const error: unknown = await verifier.verifyAccessToken(stranger).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OAuthError);
      expect((error as OAuthError).message).toBe(
        'The token is signed with a key the issuer does not publish',
      );
      expect(idp.jwksRequests).toBe(2);
    });

    it('refuses a token of a key taken out of the set once it was fetched again', async () => {
      const idp = await startIdp();
      const verifier = new JwtTokenVerifier(oauthConfigFor(idp, { jwksCooldownMs: 0 }));
      const old = await idp.token({ aud: FAKE_RESOURCE });
      await verifier.verifyAccessToken(old);
      await idp.rotate();
      await verifier.verifyAccessToken(await idp.token({ aud: FAKE_RESOURCE }));
      const error: unknown = await verifier.verifyAccessToken(old).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OAuthError);
    });
  });
});
