import http, { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pinoHttp } from 'pino-http';
import { accessLog, type AccessLog } from './access-log';
import { buildPinoHttpOptions, requestLogFields } from './pino-options';

type Line = Record<string, unknown>;

/** A log destination that keeps every line. */
function capture(): { stream: Writable; lines: Line[] } {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n').filter(Boolean)) {
        lines.push(JSON.parse(text) as Line);
      }
      done();
    },
  });
  return { stream, lines };
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Serves one request through a request logger and the given handler; resolves once logged. */
async function serve(log: Handler, handler: Handler, path: string, headers = {}) {
  const server = http.createServer((req, res) => {
    (req as { principal?: unknown }).principal = { label: 'team-a' };
    log(req, res);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
  await response.text();
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => server.close(resolve));
}

function loggers() {
  const config = { level: 'info', format: 'json', destination: 'stdout' } as const;
  const ours = capture();
  const reference = capture();
  const options = { ...buildPinoHttpOptions(config), stream: ours.stream };
  const referenceOptions = { ...buildPinoHttpOptions(config), stream: reference.stream };
  const log: AccessLog = accessLog(pinoHttp(options).logger, options, requestLogFields);
  return {
    log,
    lines: ours.lines,
    reference: pinoHttp(referenceOptions),
    referenceLines: reference.lines,
  };
}

/** What may differ between two loggings of the same request. */
function comparable(line: Line): Line {
  // keyLabel and sessionId are this access log's own fields; pino-http has no such context here.
  const { responseTime, req, err, ...rest } = line;
  expect(typeof responseTime).toBe('number');
  delete rest.time;
  delete rest.keyLabel;
  delete rest.sessionId;
  const request = { ...(req as Line) };
  delete request.id; // a new id for each request
  return { ...rest, req: request, ...(err ? { err: { message: (err as Line).message } } : {}) };
}

const HANDLERS: [string, Handler, Record<string, string>][] = [
  ['a completed call in a session', (_req, res) => res.end('ok'), { 'mcp-session-id': 's-1' }],
  [
    'a call that opens a session',
    (_req, res) => {
      res.setHeader('Mcp-Session-Id', 's-new');
      res.end('ok');
    },
    {},
  ],
  ['a refusal', (_req, res) => void ((res.statusCode = 404), res.end()), { 'x-api-key': 'secret' }],
  ['a failure', (_req, res) => void ((res.statusCode = 500), res.end()), {}],
];

describe('accessLog', () => {
  it.each(HANDLERS)('writes the line pino-http writes for %s', async (_name, handler, headers) => {
    const { log, lines, reference, referenceLines } = loggers();
    await serve(log, handler, '/mcp?x=1', { 'user-agent': 'spec', ...headers });
    await serve(reference, handler, '/mcp?x=1', { 'user-agent': 'spec', ...headers });
    expect(lines).toHaveLength(1);
    expect(referenceLines).toHaveLength(1);
    expect(comparable(lines[0])).toEqual(comparable(referenceLines[0]));
  });

  it('logs a 503 the server sends on purpose at warn, without an error or a stack trace', async () => {
    const { log, lines } = loggers();
    // Draining, full, the session store unreachable: an answer, not a failure of the server's own.
    await serve(log, (_req, res) => void ((res.statusCode = 503), res.end()), '/mcp');
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, msg: 'request completed', res: { statusCode: 503 } }),
    ]);
    expect(lines[0].err).toBeUndefined();
    expect(JSON.stringify(lines[0])).not.toContain('stack');
  });

  it('logs any other 5xx as an error, with a stack trace', async () => {
    const { log, lines } = loggers();
    await serve(log, (_req, res) => void ((res.statusCode = 500), res.end()), '/mcp');
    expect(lines).toEqual([
      expect.objectContaining({ level: 50, msg: 'request errored', res: { statusCode: 500 } }),
    ]);
    expect(lines[0].err).toMatchObject({ stack: expect.any(String) });
  });

  it('names the key, the session, the request and the status once, never the key itself', async () => {
    const { log, lines } = loggers();
    await serve(log, (_req, res) => res.end(), '/mcp', {
      'x-request-id': 'trace-1',
      'x-api-key': 'very-secret-key',
      'mcp-session-id': 's-1',
    });
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: 'request completed',
      keyLabel: 'team-a',
      sessionId: 's-1',
      req: { id: 'trace-1', method: 'GET', url: '/mcp' },
      res: { statusCode: 200 },
    });
    // No headers object: the redacted key header was noise on every line.
    expect((lines[0].req as Line).headers).toBeUndefined();
    expect(JSON.stringify(lines[0])).not.toContain('very-secret-key');
  });

  it('never writes a key sent in the query string', async () => {
    const { log, lines } = loggers();
    await serve(log, (_req, res) => res.end(), '/sse?api_key=k1-secret&x=1&token=t2-secret&key=k3');
    const url = (lines[0].req as Line).url as string;
    expect(url).toBe('/sse?api_key=[redacted]&x=1&token=[redacted]&key=[redacted]');
    expect(JSON.stringify(lines[0])).not.toMatch(/secret|k3/);
  });

  it('gives every request its logger but logs no probe', async () => {
    const { log, lines } = loggers();
    let logger: unknown;
    await serve(
      log,
      (req, res) => {
        logger = (req as { log?: unknown }).log;
        res.end();
      },
      '/health/live',
    );
    expect(logger).toBeDefined();
    expect(lines).toEqual([]);
  });
});
