import { applyDecorators } from '@nestjs/common';
import {
  ApiBody,
  ApiExtraModels,
  ApiHeader,
  ApiOperation,
  ApiProperty,
  ApiQuery,
  ApiResponse,
  ApiSecurity,
  getSchemaPath,
} from '@nestjs/swagger';

/**
 * OpenAPI for the MCP routes, so a gateway team can configure /mcp, /sse and /messages from the
 * document alone. The payloads are JSON-RPC 2.0 messages as the MCP specification defines them;
 * the document describes the HTTP envelope: methods, headers, media types, errors.
 */
/** An OpenAPI schema object, as @nestjs/swagger's decorators take it. */
type SchemaObject = NonNullable<
  Extract<Parameters<typeof ApiBody>[0], { schema?: unknown }>['schema']
>;

const SPEC = 'https://modelcontextprotocol.io/specification';

class JsonRpcErrorObjectDto {
  @ApiProperty({
    description:
      '-32700 parse error, -32600 invalid request, -32001 unknown session, -32000 any other refusal (auth, Host, limits, capacity).',
    example: -32000,
  })
  code!: number;

  @ApiProperty({ example: 'Unauthorized: a valid API key is required (X-API-Key header)' })
  message!: string;
}

/** The body of every error answer on the MCP routes, as the exception filter sends it. */
export class JsonRpcErrorResponseDto {
  @ApiProperty({ enum: ['2.0'] }) jsonrpc!: '2.0';
  @ApiProperty({ type: JsonRpcErrorObjectDto }) error!: JsonRpcErrorObjectDto;
  @ApiProperty({ nullable: true, type: String, example: null }) id!: null;
}

const rpcError = (code: number, message: string) => ({
  jsonrpc: '2.0',
  error: { code, message },
  id: null,
});

/** What the server really answers, per status. */
const ERROR_EXAMPLES: Record<number, Record<string, { summary: string; value: unknown }>> = {
  400: {
    noSession: {
      summary: 'No session id',
      value: rpcError(-32000, 'Bad Request: Mcp-Session-Id header is required'),
    },
    parse: {
      summary: 'Not JSON',
      value: rpcError(-32700, 'Parse error: the body is not valid JSON'),
    },
    identity: {
      summary: 'An invalid caller identity (IDENTITY_HEADER=X-Consumer-Username)',
      value: rpcError(
        -32000,
        'Bad Request: the X-Consumer-Username header is not a valid caller identity (1 to 64 letters, digits and ._@:+-)',
      ),
    },
  },
  401: {
    unauthorized: {
      summary: 'No or an unknown key',
      value: rpcError(-32000, 'Unauthorized: a valid API key is required (X-API-Key header)'),
    },
    expired: {
      summary: 'An expired token (AUTH_MODE=oauth)',
      value: rpcError(-32000, 'Unauthorized: The token has expired'),
    },
  },
  403: {
    host: {
      summary: 'Host not allowed',
      value: rpcError(-32000, 'Forbidden: Invalid Host: evil.example.com'),
    },
    scope: {
      summary: 'A token without the required scope (OAUTH_REQUIRED_SCOPES=aare.read)',
      value: rpcError(
        -32000,
        'Forbidden: the token is not granted "aare.read", which this server needs',
      ),
    },
    identityMissing: {
      summary: 'Not through the gateway (IDENTITY_HEADER=X-Consumer-Username)',
      value: rpcError(
        -32000,
        'Forbidden: the X-Consumer-Username header naming the caller is missing: requests must come through the gateway',
      ),
    },
  },
  404: { session: { summary: 'Unknown session', value: rpcError(-32001, 'Session not found') } },
  405: { method: { summary: 'PUT', value: rpcError(-32000, 'Method not allowed') } },
  413: { tooLarge: { summary: 'Too large', value: rpcError(-32600, 'Request body too large') } },
  415: {
    type: {
      summary: 'A text body',
      value: rpcError(-32000, 'Unsupported Media Type: Content-Type must be application/json'),
    },
  },
  429: {
    rateLimit: {
      summary: 'Over the per-minute limit',
      value: rpcError(
        -32000,
        'Too Many Requests: rate limit of 100 requests per minute exceeded; retry in 60 s',
      ),
    },
  },
  503: {
    full: {
      summary: 'Server full',
      value: rpcError(-32000, 'Service Unavailable: too many open sessions'),
    },
    identityProvider: {
      summary: 'The identity provider cannot be reached to check a token',
      value: rpcError(
        -32000,
        'Service Unavailable: the identity provider could not be reached to check the token; try again shortly',
      ),
    },
  },
};

const JSON_RPC_MESSAGE: SchemaObject = {
  type: 'object',
  description: `A JSON-RPC 2.0 request, notification or response, as the MCP specification defines them (${SPEC}).`,
  required: ['jsonrpc'],
  properties: {
    jsonrpc: { type: 'string', enum: ['2.0'] },
    id: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
    method: { type: 'string', example: 'tools/call' },
    params: { type: 'object', additionalProperties: true },
  },
  example: {
    jsonrpc: '2.0',
    id: 1,
    method: 'tools/call',
    params: { name: 'get_current_temperature', arguments: { city: 'bern' } },
  },
};

const ERRORS: [number, string][] = [
  [
    400,
    'Not a valid MCP request: no or unknown session header, invalid JSON (-32700), not JSON-RPC, an empty batch, JSON nested deeper than MAX_JSON_DEPTH or an initialize larger than MAX_INITIALIZE_BYTES (-32600); with IDENTITY_HEADER, a value of that header that is not a valid caller identity.',
  ],
  [
    401,
    'No or an unknown API key; with AUTH_MODE oauth or both, no bearer token or one that is not valid (expired, not yet valid, another issuer or audience, a bad signature or algorithm). `WWW-Authenticate` names the schemes; its Bearer challenge carries `resource_metadata` (RFC 9728) and the required `scope`, and `error="invalid_token"` for a token that is not valid.',
  ],
  [
    403,
    'Host or Origin not allowed (DNS-rebinding protection); a token without the required scopes (`WWW-Authenticate: Bearer error="insufficient_scope", …, scope="…"`); with IDENTITY_HEADER, that header is missing or empty (the request did not come through the gateway) or came from an address TRUST_PROXY does not list.',
  ],
  [404, "Unknown or ended session (-32001); another key's session is answered the same way."],
  [405, 'Method not allowed on this route; `Allow` lists the ones that are.'],
  [413, 'Body larger than MAX_BODY_BYTES; the connection is closed.'],
  [415, 'Content-Type is not application/json.'],
  [
    429,
    'Rate limit or session-open limit reached; `Retry-After` says when to retry, `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers-10) name the limit and what is left of it.',
  ],
  [
    503,
    'No session can be opened now (server full, key at its session limit, or shutting down), or the identity provider cannot be reached to check a token; `Retry-After` says when to retry.',
  ],
];

const RETRY_AFTER = {
  description: 'Seconds to wait before retrying.',
  schema: { type: 'integer' },
};

/** The headers that come with a refusal: when to retry and, on a 429, which limit was hit. */
const ERROR_HEADERS: Record<number, Record<string, { description: string; schema: object }>> = {
  401: {
    'WWW-Authenticate': {
      description:
        'The schemes: `ApiKey header="X-API-Key", Bearer` with API keys only; with OAuth, `Bearer resource_metadata="…/.well-known/oauth-protected-resource/mcp", scope="…"` first (with `error="invalid_token", error_description="…"` for a token that is not valid), then `ApiKey header="X-API-Key"` when keys are taken too.',
      schema: { type: 'string' },
    },
  },
  403: {
    'WWW-Authenticate': {
      description:
        'On a token without the required scopes: `Bearer error="insufficient_scope", error_description="…", resource_metadata="…", scope="…"`.',
      schema: { type: 'string' },
    },
  },
  405: { Allow: { description: 'The methods this route has.', schema: { type: 'string' } } },
  429: {
    'Retry-After': RETRY_AFTER,
    'RateLimit-Policy': {
      description:
        'The limits (draft-ietf-httpapi-ratelimit-headers-10), e.g. `"minute";q=100;w=60, "hour";q=1000;w=3600`.',
      schema: { type: 'string' },
    },
    RateLimit: {
      description: 'The refused limit, used up: e.g. `"minute";r=0;t=60`.',
      schema: { type: 'string' },
    },
  },
  503: { 'Retry-After': RETRY_AFTER },
};

const SESSION_HEADER = ApiHeader({
  name: 'Mcp-Session-Id',
  required: false,
  description: 'The session id the server returned on `initialize` (2025-era clients).',
});
const VERSION_HEADER = ApiHeader({
  name: 'Mcp-Protocol-Version',
  required: false,
  description: 'The negotiated protocol version, e.g. 2025-11-25 or 2026-07-28.',
});

/** A refusal a route answers differently from the table above: its own text and examples. */
interface ErrorOverride {
  description: string;
  examples: Record<string, { summary: string; value: unknown }>;
}

function common(
  summary: string,
  description: string,
  errors: number[],
  overrides: Record<number, ErrorOverride> = {},
) {
  return applyDecorators(
    ApiSecurity('api-key'),
    ApiSecurity('bearer'),
    ApiOperation({
      summary,
      description: `${description}\n\nThe payload is JSON-RPC 2.0 per the MCP specification (${SPEC}).`,
    }),
    ApiExtraModels(JsonRpcErrorResponseDto),
    ...ERRORS.filter(([status]) => errors.includes(status)).map(([status, text]) =>
      ApiResponse({
        status,
        description: overrides[status]?.description ?? text,
        headers: ERROR_HEADERS[status],
        content: {
          'application/json': {
            schema: { $ref: getSchemaPath(JsonRpcErrorResponseDto) },
            examples: overrides[status]?.examples ?? ERROR_EXAMPLES[status],
          },
        },
      }),
    ),
  );
}

const ALL = [400, 401, 403, 404, 405, 413, 415, 429, 503];

export const ApiMcpPost = () =>
  applyDecorators(
    common(
      'Send MCP messages (Streamable HTTP)',
      'One JSON-RPC message or a batch. `initialize` without a session id opens a session (2025 era; the answer carries `Mcp-Session-Id`); 2026-07-28 requests need no session. Requests are answered as JSON or as an event stream (`Accept: application/json, text/event-stream`); notifications and responses get 202.',
      ALL,
    ),
    SESSION_HEADER,
    VERSION_HEADER,
    ApiHeader({
      name: 'Accept',
      required: true,
      description: 'application/json, text/event-stream',
    }),
    ApiBody({
      required: true,
      schema: { oneOf: [JSON_RPC_MESSAGE, { type: 'array', items: JSON_RPC_MESSAGE }] },
    }),
    ApiResponse({
      status: 200,
      description: 'The answers, as one JSON-RPC response or as an event stream of them.',
      content: {
        'application/json': { schema: { type: 'object', additionalProperties: true } },
        'text/event-stream': { schema: { type: 'string' } },
      },
    }),
    ApiResponse({
      status: 202,
      description: 'Notifications or responses accepted; nothing to answer.',
    }),
  );

export const ApiMcpGet = () =>
  applyDecorators(
    common(
      "Open a session's event stream (Streamable HTTP)",
      'Server-to-client messages of a 2025-era session outside any request, as server-sent events with keep-alive comments. Long-lived: do not buffer, do not time out while data flows.',
      [400, 401, 403, 404, 405, 429],
    ),
    SESSION_HEADER,
    VERSION_HEADER,
    ApiHeader({ name: 'Accept', required: true, description: 'text/event-stream' }),
    ApiResponse({
      status: 200,
      description: 'An event stream.',
      content: { 'text/event-stream': { schema: { type: 'string' } } },
    }),
  );

export const ApiMcpDelete = () =>
  applyDecorators(
    common(
      'End a session (Streamable HTTP)',
      'Closes the session named by `Mcp-Session-Id`.',
      [400, 401, 403, 404, 405, 429],
    ),
    SESSION_HEADER,
    ApiResponse({ status: 200, description: 'The session is closed.' }),
  );

export const ApiSseGet = () =>
  applyDecorators(
    common(
      'Open a legacy HTTP+SSE session (2024-11-05)',
      'Opens a session and its event stream. The first event, `endpoint`, names the URL to POST messages to (`/messages?sessionId=…`, under the public base path). Long-lived: do not buffer, do not time out while data flows.',
      [400, 401, 403, 429, 503],
      {
        400: {
          description:
            'With IDENTITY_HEADER, a value of that header that is not a valid caller identity.',
          examples: { identity: ERROR_EXAMPLES[400].identity },
        },
      },
    ),
    ApiResponse({
      status: 200,
      description: 'An event stream.',
      content: { 'text/event-stream': { schema: { type: 'string' } } },
    }),
  );

export const ApiMessagesPost = () =>
  applyDecorators(
    common(
      'Send a message to a legacy HTTP+SSE session',
      "Delivers one JSON-RPC message to the session; its answer arrives on the session's event stream.",
      [400, 401, 403, 404, 413, 415, 429],
    ),
    ApiQuery({ name: 'sessionId', required: true, description: 'From the `endpoint` event.' }),
    ApiBody({ required: true, schema: JSON_RPC_MESSAGE }),
    ApiResponse({ status: 202, description: 'Accepted; the answer goes on the event stream.' }),
  );
