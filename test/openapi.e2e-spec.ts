import { Ajv } from '@modelcontextprotocol/client/validators/ajv';
import request from 'supertest';
import { RunningApp, startApp } from './support/http-app';

const ADMIN = 'admin-key-0123456789ab';
const USER = 'team-a-key-0123456789';

interface MediaType {
  schema?: Schema;
  examples?: Record<string, { summary?: string; value: unknown }>;
  example?: unknown;
}
interface Schema {
  $ref?: string;
  properties?: Record<string, Schema>;
  [keyword: string]: unknown;
}
interface Operation {
  responses: Record<
    string,
    {
      description: string;
      content?: Record<string, MediaType>;
      headers?: Record<string, unknown>;
    }
  >;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

let running: RunningApp;
let doc: OpenApiDocument;
let ajv: InstanceType<typeof Ajv>;

beforeAll(async () => {
  running = await startApp({ API_KEYS: `team-a:${USER}`, ADMIN_API_KEYS: `ops:${ADMIN}` });
  doc = (await request(running.url).get('/docs-json').expect(200)).body as OpenApiDocument;
  // The document's components as one schema, so "#/components/schemas/X" references resolve.
  ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addSchema({ $id: 'openapi', components: withNullableReferences(doc.components) });
});

afterAll(() => running.close());

/**
 * OpenAPI 3.0 writes a nullable object member as `nullable: true` beside `allOf: [$ref]`, which
 * JSON Schema reads as "an object that is also the referenced schema": here it becomes
 * "null, or the referenced schema".
 */
function withNullableReferences<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withNullableReferences) as T;
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value).map(([k, v]) => [k, withNullableReferences(v)] as const);
  const node = Object.fromEntries(entries) as Record<string, unknown>;
  if (node.nullable === true && Array.isArray(node.allOf)) {
    const rest = { ...node };
    delete rest.nullable;
    delete rest.type;
    return { anyOf: [{ type: 'null' }, rest] } as T;
  }
  return node as T;
}

/** The operations of the paths that start with a prefix, as "GET /admin/config". */
function operations(prefix: string): [string, Operation][] {
  return Object.entries(doc.paths)
    .filter(([path]) => path.startsWith(prefix))
    .flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]): [string, Operation] => [
        `${method.toUpperCase()} ${path}`,
        op,
      ]),
    );
}

/** The schema a media type names, resolved against the document's components. */
function resolved(schema: Schema | undefined): Schema {
  if (!schema) throw new Error('no schema');
  if (!schema.$ref) return schema;
  return doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')];
}

/** Validates a value against a schema of the document; the errors, or [] when it fits. */
function problems(schema: Schema, value: unknown): string[] {
  const anchored = JSON.parse(
    JSON.stringify(schema).replace(/"#\/components\//g, '"openapi#/components/'),
  ) as Schema;
  const validate = ajv.compile(anchored);
  return validate(value)
    ? []
    : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

describe('the OpenAPI document', () => {
  it('gives every admin response with a body its examples, and each example fits its schema', () => {
    const admin = operations('/admin/');
    expect(admin.map(([name]) => name).sort()).toEqual([
      'DELETE /admin/sessions/{id}',
      'GET /admin/config',
      'GET /admin/sessions',
      'GET /admin/sessions/{id}',
      'GET /admin/upstream',
      'POST /admin/cache/invalidate',
    ]);
    for (const [name, op] of admin) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (status === '204') {
          expect({ name, status, content: response.content }).toEqual({ name, status });
          continue;
        }
        const media = response.content?.['application/json'];
        const examples = Object.values(media?.examples ?? {});
        expect({ name, status, examples: examples.length > 0 }).toEqual({
          name,
          status,
          examples: true,
        });
        for (const { value } of examples) {
          expect({ name, status, problems: problems(media!.schema!, value) }).toEqual({
            name,
            status,
            problems: [],
          });
        }
      }
    }
  });

  it('validates examples for real: a body that does not fit its schema is caught', () => {
    const error = { $ref: '#/components/schemas/ErrorResponseDto' };
    expect(problems(error, { statusCode: 404, message: ['a', 'b'] })).toEqual([]);
    expect(problems(error, { statusCode: '404', message: 'x' })).not.toEqual([]);
    expect(problems(error, { statusCode: 404 })).not.toEqual([]);
    const session = { $ref: '#/components/schemas/SessionListDto' };
    expect(problems(session, { total: 1, sessions: [{ id: 'x' }] })).not.toEqual([]);
  });

  it('documents /admin/config with a schema of the configuration sections', () => {
    const media = doc.paths['/admin/config'].get.responses['200'].content!['application/json'];
    const config = resolved(media.schema);
    expect(Object.keys(config.properties!).sort()).toEqual(
      [
        'aareguru',
        'auth',
        'cache',
        'env',
        'http',
        'live',
        'logging',
        'mcp',
        'redis',
        'server',
        'sessions',
      ].sort(),
    );
    const auth = resolved(config.properties!.auth);
    expect(Object.keys(auth.properties!)).toEqual(
      expect.arrayContaining(['keyless', 'keys', 'adminKeys', 'identityHeader']),
    );
    const http = resolved(config.properties!.http);
    expect(Object.keys(http.properties!)).toEqual(
      expect.arrayContaining(['rateLimitPerMinute', 'rateLimitPerHour', 'sessionOpenPerMinute']),
    );
  });

  it('documents the error answers with the body the exception filter sends', () => {
    const expected: Record<string, string[]> = {
      'GET /admin/sessions': ['400', '401', '403', '429', '503'],
      'GET /admin/sessions/{id}': ['401', '403', '404', '429', '503'],
      'DELETE /admin/sessions/{id}': ['401', '403', '404', '429', '503'],
      'GET /admin/upstream': ['401', '403', '429'],
      'POST /admin/cache/invalidate': ['400', '401', '403', '413', '415', '429'],
      'GET /admin/config': ['401', '403', '429'],
    };
    for (const [name, op] of operations('/admin/')) {
      const errors = Object.keys(op.responses).filter((status) => Number(status) >= 400);
      expect({ name, errors: errors.sort() }).toEqual({ name, errors: expected[name] });
      for (const status of errors) {
        const media = op.responses[status].content!['application/json'];
        expect({ name, status, schema: media.schema }).toEqual({
          name,
          status,
          schema: { $ref: '#/components/schemas/ErrorResponseDto' },
        });
      }
    }
    for (const [name, op] of [
      ...operations('/mcp'),
      ...operations('/sse'),
      ...operations('/messages'),
    ]) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        const media = response.content!['application/json'];
        expect({ name, status, schema: media.schema }).toEqual({
          name,
          status,
          schema: { $ref: '#/components/schemas/JsonRpcErrorResponseDto' },
        });
        for (const { value } of Object.values(media.examples ?? {})) {
          expect(problems(media.schema!, value)).toEqual([]);
        }
        expect(Object.keys(media.examples ?? {}).length).toBeGreaterThan(0);
      }
    }
    // A 429 names its headers: the draft standard's, never per-limit ones.
    for (const [name, op] of [...operations('/admin/'), ...operations('/mcp')]) {
      const headers = (op.responses['429'] as { headers?: object }).headers;
      expect({ name, headers: Object.keys(headers ?? {}).sort() }).toEqual({
        name,
        headers: ['RateLimit', 'RateLimit-Policy', 'Retry-After'],
      });
    }
  });

  it("shows this service's health indicators in the health examples, not the library's", () => {
    const health = operations('/health');
    expect(health.map(([name]) => name).sort()).toEqual([
      'GET /health',
      'GET /health/live',
      'GET /health/ready',
    ]);
    expect(JSON.stringify(Object.fromEntries(health))).not.toContain('database');
    for (const [name, op] of health) {
      for (const [status, response] of Object.entries(op.responses)) {
        const media = response.content!['application/json'];
        const examples = Object.values(media.examples ?? {});
        expect({ name, status, examples: examples.length > 0 }).toEqual({
          name,
          status,
          examples: true,
        });
        for (const { value } of examples) expect(problems(media.schema!, value)).toEqual([]);
      }
    }
    const details = doc.paths['/health'].get.responses['200'].content!['application/json'];
    for (const { value } of Object.values(details.examples!)) {
      expect(Object.keys((value as { details: object }).details).sort()).toEqual([
        'aareguru',
        'redis',
        'server',
        'sessions',
      ]);
    }
  });
});

describe('the OpenAPI document against live answers', () => {
  it('names every section and key /admin/config really has, and only those', async () => {
    const live = (
      await request(running.url).get('/admin/config').set('X-API-Key', ADMIN).expect(200)
    ).body as Record<string, unknown>;
    const media = doc.paths['/admin/config'].get.responses['200'].content!['application/json'];
    const config = resolved(media.schema);
    expect(Object.keys(live).sort()).toEqual(Object.keys(config.properties!).sort());
    for (const [section, value] of Object.entries(live)) {
      if (typeof value !== 'object' || value === null) continue;
      const documented = resolved(config.properties![section]);
      expect({ section, keys: Object.keys(value).sort() }).toEqual({
        section,
        keys: Object.keys(documented.properties!).sort(),
      });
    }
    expect(problems(media.schema!, live)).toEqual([]);
  });

  it('documents the body /health, /health/live and /health/ready really answer', async () => {
    const details = doc.paths['/health'].get.responses['200'].content!['application/json'];
    const example = Object.values(details.examples!)[0].value as Record<string, object>;
    for (const path of ['/health', '/health/live', '/health/ready']) {
      const live = (await request(running.url).get(path).expect(200)).body as Record<
        string,
        object
      >;
      expect({ path, keys: Object.keys(live).sort() }).toEqual({
        path,
        keys: Object.keys(resolved(details.schema).properties!).sort(),
      });
      expect(problems(details.schema!, live)).toEqual([]);
      if (path === '/health') {
        expect(Object.keys(live.details).sort()).toEqual(Object.keys(example.details).sort());
      }
    }
  });
});

describe('the MCP refusals behind a gateway (IDENTITY_HEADER)', () => {
  let gateway: RunningApp;

  beforeAll(async () => {
    gateway = await startApp({
      HOST: '0.0.0.0',
      AUTH_DISABLED: 'true',
      IDENTITY_HEADER: 'X-Consumer-Username',
      TRUST_PROXY: 'loopback',
    });
  });

  afterAll(() => gateway.close());

  /** The examples of one status of one MCP operation, by name. */
  const examplesOf = (path: string, method: string, status: string) =>
    doc.paths[path][method].responses[status].content!['application/json'].examples ?? {};

  it('documents the 403 for a missing identity header and the 400 for an invalid one, as sent', async () => {
    const missing = await request(gateway.url)
      .post('/mcp')
      .set('Accept', 'application/json, text/event-stream')
      .send({ jsonrpc: '2.0', id: 1, method: 'ping' })
      .expect(403);
    const invalid = await request(gateway.url)
      .post('/mcp')
      .set('Accept', 'application/json, text/event-stream')
      .set('X-Consumer-Username', 'alice, bob')
      .send({ jsonrpc: '2.0', id: 1, method: 'ping' })
      .expect(400);
    for (const [path, method] of [
      ['/mcp', 'post'],
      ['/mcp', 'get'],
      ['/mcp', 'delete'],
      ['/sse', 'get'],
      ['/messages', 'post'],
    ]) {
      expect({
        path,
        method,
        example: examplesOf(path, method, '403').identityMissing?.value,
      }).toEqual({ path, method, example: missing.body });
      expect(doc.paths[path][method].responses['403'].description).toMatch(/IDENTITY_HEADER/);
    }
    for (const [path, method] of [
      ['/mcp', 'post'],
      ['/mcp', 'get'],
      ['/mcp', 'delete'],
      ['/sse', 'get'],
      ['/messages', 'post'],
    ]) {
      expect({ path, method, example: examplesOf(path, method, '400').identity?.value }).toEqual({
        path,
        method,
        example: invalid.body,
      });
      expect(doc.paths[path][method].responses['400'].description).toMatch(/IDENTITY_HEADER/);
    }
  });
});

describe('the OAuth resource server in the document (AUTH_MODE=both)', () => {
  let oauth: RunningApp;

  beforeAll(async () => {
    // No token is checked here, so the issuer is never asked: it need not exist.
    oauth = await startApp({
      AUTH_MODE: 'both',
      API_KEYS: `team-a:${USER}`,
      ADMIN_API_KEYS: `ops:${ADMIN}`,
      OAUTH_ISSUERS: 'https://idp.example.test/realms/aare',
      OAUTH_REQUIRED_SCOPES: 'aare.read',
      OAUTH_ADMIN_SCOPE: 'aare-admin',
      PUBLIC_BASE_URL: 'https://aare.example.test',
    });
  });

  afterAll(() => oauth.close());

  it('documents both metadata documents with examples that fit, and the live ones fit too', async () => {
    for (const path of [
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-protected-resource/mcp',
    ]) {
      const ok = doc.paths[path].get.responses['200'].content!['application/json'];
      for (const example of Object.values(ok.examples!))
        expect({ path, problems: problems(ok.schema!, example.value) }).toEqual({
          path,
          problems: [],
        });
      const live = (await request(oauth.url).get(path).expect(200)).body as Record<string, unknown>;
      expect(problems(ok.schema!, live)).toEqual([]);
      expect(Object.keys(live).sort()).toEqual(Object.keys(resolved(ok.schema).properties!).sort());
      const notFound = doc.paths[path].get.responses['404'].content!['application/json'];
      const body = (await request(running.url).get(path).expect(404)).body as unknown;
      expect(body).toEqual(Object.values(notFound.examples!)[0].value);
    }
  });

  it('shows the OAuth settings in /admin/config as documented', async () => {
    const live = (await request(oauth.url).get('/admin/config').set('X-API-Key', ADMIN).expect(200))
      .body as { auth: Record<string, unknown> };
    const media = doc.paths['/admin/config'].get.responses['200'].content!['application/json'];
    expect(problems(media.schema!, live)).toEqual([]);
    expect(live.auth).toMatchObject({
      mode: 'both',
      oauth: { resource: 'https://aare.example.test/mcp', requiredScopes: ['aare.read'] },
    });
  });

  it('documents the challenges the MCP routes answer with', async () => {
    const refused = await request(oauth.url)
      .post('/mcp')
      .set('Content-Type', 'application/json')
      .set('Accept', 'application/json, text/event-stream')
      .send({ jsonrpc: '2.0', id: 1, method: 'ping' })
      .expect(401);
    expect(refused.headers['www-authenticate']).toBe(
      'Bearer resource_metadata="https://aare.example.test/.well-known/oauth-protected-resource/mcp", scope="aare.read", ApiKey header="X-API-Key"',
    );
    const documented = doc.paths['/mcp'].post.responses['401'];
    expect(documented.headers?.['WWW-Authenticate']).toBeDefined();
    expect(documented.description).toMatch(/resource_metadata/);
    expect(doc.paths['/mcp'].post.responses['403'].headers?.['WWW-Authenticate']).toBeDefined();
  });
});
