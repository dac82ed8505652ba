// The platform's ceiling: node:http answering every POST with the same JSON-RPC result bytes
// our server sends for a cached get_current_temperature call. No MCP, no parsing of the answer.
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';

const result = JSON.parse(readFileSync(process.env.RESULT_FILE, 'utf8'));
const port = Number(process.env.PORT ?? 0);

createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    let id = 1;
    try {
      id = JSON.parse(body).id ?? 1;
    } catch {
      // same bytes either way
    }
    const payload = JSON.stringify({ jsonrpc: '2.0', id, result });
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
    });
    res.end(payload);
  });
}).listen(port, '127.0.0.1', function () {
  process.stdout.write(`Listening on http://127.0.0.1:${this.address().port}\n`);
});
