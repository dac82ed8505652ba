import type { CallToolResult } from '@modelcontextprotocol/client';
import { FakeAareguru } from '../fake-upstream/fake-aareguru';
import { ConnectedClient, connectClient, eventually } from '../support/mcp-clients';
import { spawnServer, SpawnedServer } from '../support/spawn-server';

type Kind = 'streamable-2025' | 'sse' | 'streamable-2026';
/** Each transport's call waits on a city of its own, so each is seen reaching upstream. */
const CITY_OF: Record<Kind, string> = {
  'streamable-2025': 'thun',
  sse: 'bern',
  'streamable-2026': 'interlaken',
};

interface Outcome {
  result?: CallToolResult;
  error?: { code?: unknown; message: string };
}

describe('Calls still running when the shutdown grace period ends', () => {
  let fake: FakeAareguru;
  let server: SpawnedServer | undefined;
  const clients: ConnectedClient[] = [];

  beforeEach(async () => {
    fake = new FakeAareguru();
    await fake.start();
  });
  afterEach(async () => {
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
    if (server && server.process.exitCode === null) await server.stop();
    await fake.stop();
  });

  it.each(Object.keys(CITY_OF) as Kind[])(
    'get a JSON-RPC error naming the shutdown over %s',
    async (kind) => {
      server = await spawnServer({
        AAREGURU_BASE_URL: fake.baseUrl,
        SHUTDOWN_GRACE_SECONDS: '1',
        // The upstream never answers: only the shutdown can end this call.
        AAREGURU_TIMEOUT_MS: '60000',
        AAREGURU_DEADLINE_MS: '60000',
      });
      const city = CITY_OF[kind];
      fake.inject({ fault: { kind: 'hang' }, path: '/v2018/current', city });
      const connected = await connectClient(kind, { url: server.url });
      clients.push(connected);
      const outcome: Promise<Outcome> = connected.client
        .callTool(
          { name: 'get_current_temperature', arguments: { city } },
          // Unanswered, the client would wait a minute: this timeout is the failure instead.
          { timeout: 6000 },
        )
        .then(
          (result) => ({ result: result as CallToolResult }),
          (error: { code?: unknown; message: string }) => ({
            error: { code: error.code, message: error.message },
          }),
        );
      await eventually(() => fake.count('/v2018/current', city) === 1);

      const exited = new Promise<number | null>((resolve) =>
        server!.process.once('exit', (code) => resolve(code)),
      );
      server.process.kill('SIGTERM');

      expect(await outcome).toEqual({
        error: { code: -32000, message: expect.stringMatching(/shutting down.*retry/i) },
      });
      expect(await exited).toBe(0);
      expect(server.stdout()).toContain('calls still running after the grace period');
      // Answered, not failed: nothing was logged as an error on the way out.
      expect(server.stdout()).not.toContain('"level":50');
    },
    15000,
  );
});
