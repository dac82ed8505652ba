import {
  type JSONRPCRequest,
  PROTOCOL_VERSION_META_KEY,
  type StandardSchemaV1,
  specTypeSchemas,
} from '@modelcontextprotocol/server';

/** The spec's type for each request this server answers, checked with the SDK's own schemas. */
const REQUEST_TYPES: Readonly<Record<string, keyof typeof specTypeSchemas>> = {
  initialize: 'InitializeRequest',
  ping: 'PingRequest',
  'logging/setLevel': 'SetLevelRequest',
  'tools/list': 'ListToolsRequest',
  'tools/call': 'CallToolRequest',
  'resources/list': 'ListResourcesRequest',
  'resources/templates/list': 'ListResourceTemplatesRequest',
  'resources/read': 'ReadResourceRequest',
  'prompts/list': 'ListPromptsRequest',
  'prompts/get': 'GetPromptRequest',
  'completion/complete': 'CompleteRequest',
};

/** Methods 2026-07-28 no longer has: the SDK answers them "method not found", as it should. */
const LEGACY_ONLY = new Set(['initialize', 'ping', 'logging/setLevel']);

const MAX_ISSUES = 3;
const MAX_PATH_LENGTH = 60;
const MAX_MESSAGE_LENGTH = 280;

/**
 * Why a request's params do not fit the spec, in one line a person can read, or undefined when
 * they fit (or the method is not one checked here). The SDK checks the same schemas but reports a
 * failure as an internal error (-32603) whose message is a pretty-printed dump of every issue.
 */
export function invalidParamsMessage(request: JSONRPCRequest, modern: boolean): string | undefined {
  const type = REQUEST_TYPES[request.method];
  if (type === undefined || (modern && LEGACY_ONLY.has(request.method))) return undefined;
  const schema: StandardSchemaV1 = specTypeSchemas[type];
  const outcome = schema['~standard'].validate(request);
  // The spec schemas validate synchronously; anything else is the SDK's to judge.
  if (outcome instanceof Promise || outcome.issues === undefined) return undefined;
  const issues = outcome.issues.slice(0, MAX_ISSUES).map(describeIssue);
  const more = outcome.issues.length - issues.length;
  const text =
    `Invalid params for ${request.method}: ${issues.join('; ')}` +
    (more > 0 ? ` (and ${more} more)` : '');
  return oneLine(text, MAX_MESSAGE_LENGTH);
}

/** Whether a request was sent for 2026-07-28: classified so at the edge, or carrying its envelope. */
export function isModernRequest(
  request: JSONRPCRequest,
  classification?: { era: 'legacy' | 'modern' },
): boolean {
  if (classification) return classification.era === 'modern';
  const meta = (request.params as { _meta?: Record<string, unknown> } | undefined)?._meta;
  return typeof meta?.[PROTOCOL_VERSION_META_KEY] === 'string';
}

/** "arguments.city: expected string, received number". */
function describeIssue(issue: StandardSchemaV1.Issue): string {
  const path = (issue.path ?? []).map((segment) =>
    String(typeof segment === 'object' ? segment.key : segment),
  );
  const where = (path[0] === 'params' ? path.slice(1) : path).join('.') || 'params';
  return `${oneLine(where, MAX_PATH_LENGTH)}: ${plain(issue.message)}`;
}

/** Zod's wording, without its boilerplate. */
function plain(message: string): string {
  const text = message.replace(/^Invalid (input|option): /, '');
  if (text === 'Invalid input') return 'not one of the accepted forms';
  return text.replace(/^expected (.+), received undefined$/, 'missing (expected $1)');
}

/** Keys come from the client: no line breaks, and not too long. */
function oneLine(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
