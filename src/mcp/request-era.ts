import { PROTOCOL_VERSION_META_KEY, type ServerContext } from '@modelcontextprotocol/server';

/**
 * Whether a request is of the 2026-07-28 era: it carries the protocol version (and the client's
 * capabilities) in its own `_meta` envelope; a 2025 request relies on its session's handshake.
 */
export function isModernRequest(ctx: ServerContext): boolean {
  return ctx.mcpReq.envelope !== undefined && PROTOCOL_VERSION_META_KEY in ctx.mcpReq.envelope;
}
