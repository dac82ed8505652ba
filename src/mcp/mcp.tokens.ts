import type { AuthInfo, McpServer } from '@modelcontextprotocol/server';

/** Collections of capability providers, each filled by the MCP module from its classes. */
export const MCP_TOOLS = Symbol('MCP_TOOLS');
export const MCP_RESOURCES = Symbol('MCP_RESOURCES');
export const MCP_PROMPTS = Symbol('MCP_PROMPTS');

/** What the transports need: a fresh McpServer per session or per stateless request. */
export interface McpServerSource {
  create(): McpServer;
  /** Counts a message a transport answers without a server (the servers count their own). */
  countReceived?(method: string, extra: { authInfo?: AuthInfo } | undefined): void;
}

/** The server source the transports use; the MCP module binds it to its factory. */
export const MCP_SERVER_FACTORY = Symbol('MCP_SERVER_FACTORY');
