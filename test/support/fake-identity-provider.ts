import { createSign, generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OAuthConfig } from '../../src/config/configuration.types';
import {
  exportJWK,
  exportSPKI,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
  SignJWT,
} from 'jose';

export type FakeIdpAlgorithm = 'RS256' | 'ES256';

export interface FakeIdentityProviderOptions {
  /** Signing algorithm of the published keys; RS256 by default. */
  algorithm?: FakeIdpAlgorithm;
  /** Path of the issuer, e.g. '/realms/aare'; none by default. */
  path?: string;
  /**
   * Which metadata document it publishes: OpenID Connect discovery (default), RFC 8414
   * authorization server metadata (at the RFC 8414 place for an issuer with a path), or none.
   */
  discovery?: 'openid' | 'oauth' | 'none';
}

export interface FakeTokenOptions {
  /** Key id in the header; 'unpublished' signs with a key the JWKS does not contain. */
  kid?: string;
  /** Seconds from now to `exp`; 300 by default. */
  expiresIn?: number;
  /** Seconds from now to `nbf`; no `nbf` when not given. */
  notBefore?: number;
  /** Sign with another algorithm: its key is made on first use and never published. */
  alg?: FakeIdpAlgorithm;
  /** Extra or overriding protected header parameters (e.g. `typ`). */
  header?: Record<string, unknown>;
  omitExp?: boolean;
  /** The time the token is made at, in ms; Date.now() by default. */
  now?: number;
}

/** Claims of a fake token: `aud` has no default, so every token says whom it is for. */
export type FakeTokenClaims = { aud: string | string[] | undefined } & Record<string, unknown>;

interface SigningKey {
  kid: string;
  alg: FakeIdpAlgorithm;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

const UNPUBLISHED_KID = 'unpublished';

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

async function makeKey(kid: string, alg: FakeIdpAlgorithm): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

/**
 * An identity provider on loopback for specs: it publishes metadata and a JWKS over real HTTP,
 * counts the requests it gets, signs tokens, and makes hostile ones.
 *
 *   const idp = await FakeIdentityProvider.start({ path: '/realms/aare' });
 *   const token = await idp.token({ aud: 'http://localhost:3000/mcp', scope: 'mcp' });
 *   await idp.close();
 */
export class FakeIdentityProvider {
  /** Requests for the JWKS. */
  jwksRequests = 0;
  /** Requests for either metadata document (answered or not). */
  metadataRequests = 0;
  /** The `issuer` written in the metadata; the real one unless a spec changes it. */
  metadataIssuer: string;

  private published: SigningKey[];
  /** Published keys nobody signs with: keys a verifier cannot use. */
  private readonly unusable: JWK[] = [];
  private current: SigningKey;
  private readonly extraKeys = new Map<string, SigningKey>();
  private unavailable = false;
  private slowMs = 0;
  private keyCount = 1;
  private readonly waiting = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
    readonly jwksUrl: string,
    private readonly path: string,
    private readonly algorithm: FakeIdpAlgorithm,
    private readonly discovery: 'openid' | 'oauth' | 'none',
    firstKey: SigningKey,
  ) {
    this.metadataIssuer = issuer;
    this.current = firstKey;
    this.published = [firstKey];
    server.on('request', (req, res) => void this.answer(req, res));
  }

  static async start(options: FakeIdentityProviderOptions = {}): Promise<FakeIdentityProvider> {
    const algorithm = options.algorithm ?? 'RS256';
    const path = (options.path ?? '').replace(/\/$/, '');
    const firstKey = await makeKey('key-1', algorithm);
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const origin = `http://127.0.0.1:${port}`;
    return new FakeIdentityProvider(
      server,
      `${origin}${path}`,
      `${origin}${path}/jwks`,
      path,
      algorithm,
      options.discovery ?? 'openid',
      firstKey,
    );
  }

  /** The public keys as published. */
  get jwks(): { keys: JWK[] } {
    return { keys: [...this.published.map((key) => key.publicJwk), ...this.unusable] };
  }

  /** The key id tokens are signed with now. */
  get currentKid(): string {
    return this.current.kid;
  }

  /** A new signing key with a new kid, published; the old one stays published with keepOld. */
  async rotate(options: { keepOld?: boolean } = {}): Promise<string> {
    this.keyCount += 1;
    const next = await makeKey(`key-${this.keyCount}`, this.algorithm);
    this.published = options.keepOld ? [...this.published, next] : [next];
    this.current = next;
    return next.kid;
  }

  /** Metadata and JWKS answer 503 while true. */
  setUnavailable(unavailable: boolean): void {
    this.unavailable = unavailable;
  }

  /** Every answer waits this long first (0: none). */
  setSlow(ms: number): void {
    this.slowMs = ms;
  }

  /** A signed token: `iss`, `sub` 'alice', `iat` and `exp` unless the claims override them. */
  async token(claims: FakeTokenClaims, options: FakeTokenOptions = {}): Promise<string> {
    const key = await this.signingKey(options);
    const nowSeconds = Math.floor((options.now ?? Date.now()) / 1000);
    const payload: Record<string, unknown> = { iss: this.issuer, sub: 'alice', iat: nowSeconds };
    if (!options.omitExp) payload.exp = nowSeconds + (options.expiresIn ?? 300);
    if (options.notBefore !== undefined) payload.nbf = nowSeconds + options.notBefore;
    for (const [name, value] of Object.entries(claims))
      if (value === undefined) delete payload[name];
      else payload[name] = value;
    return new SignJWT(payload)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...options.header })
      .sign(key.privateKey);
  }

  /** Publishes `jwk` beside the signing keys as it is, however broken. */
  publishRaw(jwk: JWK): void {
    this.unusable.push(jwk);
  }

  /**
   * An RS256 token signed with a 1024-bit RSA key published under kid 'weak-rsa': jose makes and
   * uses no such key, so node:crypto makes and signs it.
   */
  weakRsaToken(claims: FakeTokenClaims): string {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const kid = 'weak-rsa';
    this.publishRaw({ ...(publicKey.export({ format: 'jwk' }) as JWK), kid, alg: 'RS256' });
    const nowSeconds = Math.floor(Date.now() / 1000);
    const payload = { iss: this.issuer, sub: 'alice', iat: nowSeconds, exp: nowSeconds + 300 };
    const input = `${base64url({ alg: 'RS256', kid, typ: 'JWT' })}.${base64url({ ...payload, ...claims })}`;
    const signature = createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url');
    return `${input}.${signature}`;
  }

  /** A token with `alg: none` and no signature. */
  unsignedToken(claims: FakeTokenClaims): string {
    const nowSeconds = Math.floor(Date.now() / 1000);
    const payload = {
      iss: this.issuer,
      sub: 'alice',
      iat: nowSeconds,
      exp: nowSeconds + 300,
      ...claims,
    };
    return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.`;
  }

  /**
   * The algorithm-confusion attack: HS256 keyed with the published public key (`as: 'pem'` its
   * SPKI PEM, `as: 'jwk'` its JWK as JSON), hoping a verifier uses the key as an HMAC secret.
   */
  async hs256WithPublicKey(claims: FakeTokenClaims, as: 'pem' | 'jwk' = 'pem'): Promise<string> {
    const secret =
      as === 'pem'
        ? await exportSPKI(await this.publicKeyOf(this.current))
        : JSON.stringify(this.current.publicJwk);
    const nowSeconds = Math.floor(Date.now() / 1000);
    return new SignJWT({
      iss: this.issuer,
      sub: 'alice',
      iat: nowSeconds,
      exp: nowSeconds + 300,
      ...claims,
    })
      .setProtectedHeader({ alg: 'HS256', kid: this.current.kid, typ: 'JWT' })
      .sign(new TextEncoder().encode(secret));
  }

  async close(): Promise<void> {
    for (const timer of this.waiting) clearTimeout(timer);
    this.waiting.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async publicKeyOf(key: SigningKey): Promise<CryptoKey> {
    return (await importJWK(key.publicJwk, key.alg)) as CryptoKey;
  }

  private async signingKey(options: FakeTokenOptions): Promise<SigningKey> {
    const alg = options.alg ?? this.algorithm;
    if (options.kid === undefined && alg === this.algorithm) return this.current;
    if (options.kid !== undefined && options.kid !== UNPUBLISHED_KID) {
      const published = this.published.find((key) => key.kid === options.kid);
      if (published) return published;
    }
    const name = `${options.kid ?? UNPUBLISHED_KID}:${alg}`;
    let extra = this.extraKeys.get(name);
    if (!extra) {
      extra = await makeKey(options.kid ?? UNPUBLISHED_KID, alg);
      this.extraKeys.set(name, extra);
    }
    return extra;
  }

  private metadataPaths(): string[] {
    if (this.discovery === 'openid') return [`${this.path}/.well-known/openid-configuration`];
    if (this.discovery === 'oauth') return [`/.well-known/oauth-authorization-server${this.path}`];
    return [];
  }

  private async answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.slowMs > 0) {
      // A slow answer waits on a timer close() cancels, so a closed provider leaves nothing behind.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.waiting.delete(timer);
          resolve();
        }, this.slowMs);
        this.waiting.add(timer);
      });
    }
    const path = new URL(req.url ?? '/', 'http://idp').pathname;
    const isJwks = path === `${this.path}/jwks`;
    const isMetadata = path.includes('/.well-known/');
    if (isJwks) this.jwksRequests += 1;
    if (isMetadata) this.metadataRequests += 1;
    if (this.unavailable) return this.send(res, 503, { error: 'temporarily_unavailable' });
    if (isJwks) return this.send(res, 200, this.jwks);
    if (this.metadataPaths().includes(path))
      return this.send(res, 200, {
        issuer: this.metadataIssuer,
        jwks_uri: this.jwksUrl,
        authorization_endpoint: `${this.issuer}/authorize`,
        token_endpoint: `${this.issuer}/token`,
      });
    this.send(res, 404, { error: 'not_found' });
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }
}

/** The resource identifier the OAuth specs use, as PUBLIC_BASE_URL + /mcp would give it. */
export const FAKE_RESOURCE = 'http://localhost:3000/mcp';

/** Resource server settings trusting `idp` (keys discovered from its metadata), with overrides. */
export function oauthConfigFor(
  idp: FakeIdentityProvider,
  overrides: Partial<OAuthConfig> = {},
): OAuthConfig {
  return {
    issuers: [idp.issuer],
    jwksUrl: null,
    resource: FAKE_RESOURCE,
    rootResource: 'http://localhost:3000',
    audiences: [FAKE_RESOURCE, 'http://localhost:3000', 'api://aareguru'],
    requiredScopes: [],
    adminScope: null,
    callerClaim: 'sub',
    algorithms: ['RS256', 'ES256'],
    clockSkewSeconds: 60,
    clients: [],
    jwksTimeoutMs: 2000,
    jwksCooldownMs: 30_000,
    ...overrides,
  };
}
