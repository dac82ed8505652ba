// What a user would write without us: a minimal stateful Streamable HTTP server on the official
// SDK's Node transport, one tool returning the same result our server returns.
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { McpServer, isInitializeRequest } from '@modelcontextprotocol/server';
import { NodeStreamableHTTPServerTransport } from '@modelcontextprotocol/node';
import { z } from 'zod';

const result = JSON.parse(readFileSync(process.env.RESULT_FILE, 'utf8'));
const port = Number(process.env.PORT ?? 0);
const transports = new Map();

function buildServer() {
  const server = new McpServer({ name: 'plain-sdk', version: '1.0.0' });
  server.registerTool(
    'get_current_temperature',
    {
      description: 'Same answer as aareguru-mcp',
      inputSchema: z.object({ city: z.string().default('bern') }),
    },
    async () => result,
  );
  return server;
}

function readJson(req) {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      try {
        resolve(body ? JSON.parse(body) : undefined);
      } catch {
        resolve(undefined);
      }
    });
  });
}

createServer(async (req, res) => {
  const body = req.method === 'POST' ? await readJson(req) : undefined;
  const sessionId = req.headers['mcp-session-id'];
  if (sessionId && transports.has(sessionId))
    return transports.get(sessionId).handleRequest(req, res, body);
  if (!sessionId && isInitializeRequest(body)) {
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => transports.set(id, transport),
    });
    transport.onclose = () => transport.sessionId && transports.delete(transport.sessionId);
    await buildServer().connect(transport);
    return transport.handleRequest(req, res, body);
  }
  res.writeHead(sessionId ? 404 : 400).end();
}).listen(port, '127.0.0.1', function () {
  process.stdout.write(`Listening on http://127.0.0.1:${this.address().port}\n`);
});

// Exit normally on SIGTERM, so `node --cpu-prof` writes its profile.
process.on('SIGTERM', () => process.exit(0));
