import type { CallToolResult } from '@modelcontextprotocol/client';
import request from 'supertest';
import { FakeAareguru } from './fake-upstream/fake-aareguru';
import { eventually } from './support/eventually';
import { ConnectedClient, connectClient } from './support/mcp-clients';
import { exited, SpawnedServer, spawnServer } from './support/spawn-server';

interface LogLine {
  level: number;
  msg: string;
  context?: string;
  req?: { url?: string };
  err?: unknown;
  [field: string]: unknown;
}

const INFO = 30;
const WARN = 40;
const FRAMEWORK_CONTEXTS = [
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestApplication',
];

function logLines(output: string): LogLine[] {
  return output
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LogLine);
}

/** The spawned server's address, as a client on this machine reaches it. */
function loopbackUrl(server: SpawnedServer): string {
  return `http://127.0.0.1:${new URL(server.url).port}`;
}

describe('What the production build logs', () => {
  let fake: FakeAareguru;
  let server: SpawnedServer | undefined;
  let mcp: ConnectedClient | undefined;

  beforeEach(async () => {
    fake = new FakeAareguru();
    await fake.start();
  });
  afterEach(async () => {
    await mcp?.close().catch(() => undefined);
    mcp = undefined;
    if (server && server.process.exitCode === null) await server.stop();
    server = undefined;
    await fake.stop();
  });

  it('starts with one line naming the bound address and public URL, and stops in order', async () => {
    server = await spawnServer({
      AAREGURU_BASE_URL: fake.baseUrl,
      HOST: '0.0.0.0',
      AUTH_DISABLED: 'true',
      PUBLIC_BASE_URL: 'https://aare.example.ch',
      // Debug shows that Nest's module and route listing is still there, one level down.
      LOG_LEVEL: 'debug',
    });
    const port = new URL(server.url).port;
    mcp = await connectClient('streamable-2025', { url: loopbackUrl(server) });

    const ended = exited(server.process);
    server.process.kill('SIGTERM');
    expect((await ended).code).toBe(0);

    const lines = logLines(server.stdout());
    const framework = lines.filter((l) => FRAMEWORK_CONTEXTS.includes(l.context ?? ''));
    expect(framework.length).toBeGreaterThan(20);
    expect(framework.filter((l) => l.level >= INFO)).toEqual([]);

    const listening = lines.filter((l) => l.msg.startsWith('Listening on'));
    expect(listening).toEqual([
      expect.objectContaining({
        level: INFO,
        context: 'Bootstrap',
        msg: `Listening on http://0.0.0.0:${port} (public URL https://aare.example.ch), upstream ${fake.baseUrl}`,
      }),
    ]);
    // At info, the listening line is the whole start-up.
    const startup = lines.slice(0, lines.indexOf(listening[0]) + 1);
    expect(startup.filter((l) => l.level >= INFO).map((l) => l.msg)).toEqual([listening[0].msg]);

    // The server's own lines, in order (the access lines of streams ending come in between).
    const serverLines = lines.filter((l) => l.level >= INFO && !l.req);
    const shutdown = serverLines
      .slice(serverLines.findIndex((l) => l.context === 'Shutdown'))
      .map((l) => l.msg);
    expect(shutdown).toEqual([
      'SIGTERM: draining (0 calls in flight, up to 10000 ms)',
      'closing 1 open sessions',
      'session closed',
      'stopped',
    ]);
  });

  it('logs a failing probe once per change, without errors or stack traces', async () => {
    server = await spawnServer({
      AAREGURU_BASE_URL: fake.baseUrl,
      AAREGURU_RETRIES: '0',
      AAREGURU_BREAKER_FAILURES: '2',
      // Long enough that the failing probes below all see the circuit open.
      AAREGURU_BREAKER_HALF_OPEN_MS: '3000',
      // The call held open below ends when the test lets it, not at a timeout or the grace.
      AAREGURU_TIMEOUT_MS: '60000',
      AAREGURU_DEADLINE_MS: '60000',
      SHUTDOWN_GRACE_SECONDS: '60',
    });
    mcp = await connectClient('streamable-2025', { url: server.url });
    fake.inject({ fault: { kind: 'status', status: 500 }, path: '/v2018/cities' });
    for (let i = 0; i < 2; i += 1) {
      const result = (await mcp.client.callTool({
        name: 'list_cities',
        arguments: {},
      })) as CallToolResult;
      expect(result.isError).toBe(true);
    }
    for (let i = 0; i < 5; i += 1) await request(server.url).get('/health').expect(503);

    // Upstream is back: the circuit's own trial closes it, and health turns good again.
    fake.clearFaults();
    await eventually(async () => (await request(server!.url).get('/health')).status === 200, 8000);
    for (let i = 0; i < 3; i += 1) await request(server.url).get('/health').expect(200);

    // Draining with a call in flight (upstream holds it open): readiness fails, probe after probe.
    fake.inject({ fault: { kind: 'hang' }, path: '/v2018/current', city: 'thun', times: 1 });
    const call = mcp.client.callTool({
      name: 'get_current_temperature',
      arguments: { city: 'thun' },
    });
    await eventually(() => fake.count('/v2018/current', 'thun') === 1);
    const ended = exited(server.process);
    server.process.kill('SIGTERM');
    await eventually(() => server!.stdout().includes('SIGTERM: draining'));
    for (let i = 0; i < 3; i += 1) await request(server.url).get('/health/ready').expect(503);
    // Only now does the call end: upstream goes away, the call fails, the drain completes.
    await fake.stop();
    await call;
    expect((await ended).code).toBe(0);

    const lines = logLines(server.stdout());
    const probeLines = lines.filter(
      (l) => l.context === 'Health' || l.req?.url?.startsWith('/health'),
    );
    expect(probeLines.map(({ level, msg }) => ({ level, msg }))).toEqual([
      { level: WARN, msg: 'health: upstream circuit open' },
      { level: INFO, msg: 'health: ok again' },
      { level: INFO, msg: 'readiness: not ready (draining)' },
    ]);
    expect(lines.filter((l) => l.level > WARN)).toEqual([]);
    expect(server.stdout()).not.toContain('Health Check has failed');
    expect(server.stdout()).not.toContain('"stack"');
  }, 30_000);
});
