import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RunningRequests } from './running-requests';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('RunningRequests', () => {
  let server: Server;
  let url: string;
  let running: RunningRequests;
  /** What each request's handler does with its response, until `release` lets it finish. */
  let handle: (res: ServerResponse) => void;
  let release: ReturnType<typeof deferred>;
  let served: Promise<void>[];

  beforeEach(async () => {
    running = new RunningRequests();
    release = deferred();
    served = [];
    handle = () => undefined;
    server = createServer((req, res) => {
      const body = JSON.parse(String(req.headers['x-body'])) as unknown;
      served.push(
        running.serve(res, body, async () => {
          handle(res);
          await release.promise;
          // As the SDK's Node adapter does once its handler returns.
          if (!res.headersSent) res.writeHead(499);
          res.end();
        }),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    release.resolve();
    await new Promise((resolve) => server.close(resolve));
  });

  const send = (body: unknown) => fetch(url, { headers: { 'x-body': JSON.stringify(body) } });
  const until = async (check: () => boolean) => {
    while (!check()) await new Promise((resolve) => setImmediate(resolve));
  };

  it('answers a request still running with a JSON-RPC error for its id', async () => {
    const response = send({ jsonrpc: '2.0', id: 'call-1', method: 'tools/call' });
    await until(() => running.size === 1);
    expect(running.answerAll('shutting down')).toBe(1);
    const answered = await response;
    expect(answered.status).toBe(200);
    expect(await answered.json()).toEqual({
      jsonrpc: '2.0',
      id: 'call-1',
      error: { code: -32000, message: 'shutting down' },
    });
    // The handler writing afterwards fails, and that failure goes nowhere.
    release.resolve();
    await expect(Promise.all(served)).resolves.toBeDefined();
    expect(running.size).toBe(0);
  });

  it('leaves a response whose event stream is already open to its handler', async () => {
    handle = (res) => {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('event: message\ndata: {"jsonrpc":"2.0","method":"notifications/progress"}\n\n');
    };
    const response = await send({ jsonrpc: '2.0', id: 7, method: 'tools/call' });
    await until(() => running.size === 1);
    expect(running.answerAll('shutting down')).toBe(0);
    release.resolve();
    const text = await response.text();
    expect(text).not.toMatch(/shutting down/);
  });

  it('does not track a notification, nor a request once it is done', async () => {
    release.resolve();
    await send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await send({ jsonrpc: '2.0', id: 1, method: 'ping' });
    await Promise.all(served);
    expect(running.size).toBe(0);
    expect(running.answerAll('shutting down')).toBe(0);
  });

  it('lets a failure of a request it did not answer through', async () => {
    const failing = new RunningRequests();
    await expect(
      failing.serve({} as ServerResponse, { jsonrpc: '2.0', id: 1, method: 'ping' }, () =>
        Promise.reject(new Error('boom')),
      ),
    ).rejects.toThrow('boom');
    expect(failing.size).toBe(0);
  });
});
