import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

/** How the benchmarks start our server: the production build, configured as deployed. */
export const BENCH_API_KEY = 'bench-key-0123456789abcdef';
export const BENCH_ADMIN_KEY = 'bench-admin-0123456789abcdef';

export const CACHED_CALL = {
  method: 'tools/call',
  params: { name: 'get_current_temperature', arguments: { city: 'bern' } },
};

export const benchServerEnv = (upstream: string): NodeJS.ProcessEnv => ({
  AAREGURU_BASE_URL: upstream,
  PORT: '0',
  API_KEYS: `bench:${BENCH_API_KEY}`,
  ADMIN_API_KEYS: `ops:${BENCH_ADMIN_KEY}`,
  LOG_LEVEL: 'info',
  // Limits raised so they do not cap the run; everything else as deployed.
  RATE_LIMIT_PER_MINUTE: '1000000000',
  RATE_LIMIT_PER_HOUR: '1000000000',
  SESSION_OPEN_PER_MINUTE: '1000000000',
  MAX_SESSIONS: '30000',
  MAX_SESSIONS_PER_KEY: '30000',
});

/** The result our server gives for the cached call: the references answer with these bytes. */
export async function cachedCallResult(url: string): Promise<unknown> {
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { 'x-api-key': BENCH_API_KEY } },
    }),
  );
  const result = await client.callTool(CACHED_CALL.params);
  await client.close();
  return result;
}
