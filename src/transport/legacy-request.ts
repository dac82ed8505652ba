import { classifyInboundRequest, isLegacyRequest } from '@modelcontextprotocol/server';
import { toWebRequest } from '@modelcontextprotocol/node';
import type { IncomingMessage } from 'node:http';

/**
 * The SDK's `isLegacyRequest` for a Node request whose body is already parsed: the same
 * classifier (`classifyInboundRequest`) on the same inputs, without building a Web request for
 * every request that names no session. A POST without a parsed body (not JSON) goes the SDK's
 * own way, which reads the body itself.
 */
export async function isLegacy(req: IncomingMessage, body: unknown): Promise<boolean> {
  const httpMethod = (req.method ?? 'GET').toUpperCase();
  if (httpMethod === 'POST' && body === undefined) {
    return isLegacyRequest(await toWebRequest(req, body), body);
  }
  const header = (name: string) => {
    const value = req.headers[name];
    return typeof value === 'string' ? value : undefined;
  };
  const outcome = classifyInboundRequest({
    httpMethod,
    protocolVersionHeader: header('mcp-protocol-version'),
    mcpMethodHeader: header('mcp-method'),
    mcpNameHeader: header('mcp-name'),
    ...(body !== undefined && { body }),
  });
  return outcome.kind === 'legacy';
}
