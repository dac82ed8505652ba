import { applyDecorators } from '@nestjs/common';
import {
  ApiBody,
  ApiHeader,
  ApiOperation,
  ApiQuery,
  ApiResponse,
  ApiSecurity,
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

const JSON_RPC_ERROR: SchemaObject = {
  type: 'object',
  required: ['jsonrpc', 'error', 'id'],
  properties: {
    jsonrpc: { type: 'string', enum: ['2.0'] },
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'integer', example: -32000 },
        message: { type: 'string', example: 'Unauthorized: a valid API key is required' },
      },
    },
    id: { nullable: true, example: null },
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
    'Not a valid MCP request: no or unknown session header, invalid JSON (-32700), not JSON-RPC, an empty batch, JSON nested deeper than MAX_JSON_DEPTH or an initialize larger than MAX_INITIALIZE_BYTES (-32600).',
  ],
  [401, 'No or an unknown API key. `WWW-Authenticate` names the schemes.'],
  [403, 'Host or Origin not allowed (DNS-rebinding protection).'],
  [404, "Unknown or ended session (-32001); another key's session is answered the same way."],
  [405, 'Method not allowed on this route; `Allow` lists the ones that are.'],
  [413, 'Body larger than MAX_BODY_BYTES; the connection is closed.'],
  [415, 'Content-Type is not application/json.'],
  [
    429,
    'Rate limit or session-open limit reached; `Retry-After` and `RateLimit-*` say when to retry.',
  ],
  [
    503,
    'No session can be opened now (server full, key at its session limit, or shutting down); `Retry-After` says when to retry.',
  ],
];

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

function common(summary: string, description: string, errors: number[]) {
  return applyDecorators(
    ApiSecurity('api-key'),
    ApiSecurity('bearer'),
    ApiOperation({
      summary,
      description: `${description}\n\nThe payload is JSON-RPC 2.0 per the MCP specification (${SPEC}).`,
    }),
    ...ERRORS.filter(([status]) => errors.includes(status)).map(([status, text]) =>
      ApiResponse({
        status,
        description: text,
        content: { 'application/json': { schema: JSON_RPC_ERROR } },
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
      [401, 403, 429, 503],
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
