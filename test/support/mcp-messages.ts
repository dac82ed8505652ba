/** Raw JSON-RPC messages for tests that speak HTTP without the MCP client. */

export const ACCEPT_BOTH = 'application/json, text/event-stream';

export const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 'raw-http', version: '0.0.1' },
  },
};

export const LIST_TOOLS = { jsonrpc: '2.0', id: 2, method: 'tools/list' };
