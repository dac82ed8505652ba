import type { CallToolResult, Progress } from '@modelcontextprotocol/client';
import { RunningApp, startApp } from './support/http-app';
import { ClientKind, ConnectedClient, connectClient } from './support/mcp-clients';

/** What a call answers, without the freshness block (its age moves between two calls). */
const answerOf = (result: CallToolResult) => {
  const answer = { ...(result.structuredContent as Record<string, unknown>) };
  delete answer.source;
  return { isError: result.isError, answer };
};

/** The fake upstream serves the eight recorded cities. */
const CITY_COUNT = 8;

const kinds: ClientKind[] = ['streamable-2025', 'streamable-2026', 'sse', 'stdio'];

let tokens = 0;

/**
 * Calls a tool asking for progress. Over Streamable HTTP through the client's own `onprogress`.
 * The legacy SSE and stdio clients hand every message of one read over at once and run
 * notification handlers a microtask later, after the answer has already removed the call's
 * `onprogress` (modelcontextprotocol/typescript-sdk#2580): notifications that share a read with
 * the answer are dropped by the client although they arrive in order. There the test listens to
 * every progress notification itself and sends its own token.
 */
async function callWithProgress(
  connected: ConnectedClient,
  name: string,
  args: Record<string, unknown>,
): Promise<{ result: CallToolResult; progress: Progress[] }> {
  const progress: Progress[] = [];
  if (connected.kind.startsWith('streamable')) {
    const result = (await connected.client.callTool(
      { name, arguments: args },
      { onprogress: (p) => progress.push(p) },
    )) as CallToolResult;
    return { result, progress };
  }
  const progressToken = `e2e-${(tokens += 1)}`;
  connected.client.setNotificationHandler('notifications/progress', ({ params }) => {
    const { progress: value, total, message } = params;
    if (params.progressToken === progressToken) progress.push({ progress: value, total, message });
  });
  const result = (await connected.client.callTool({
    name,
    arguments: args,
    _meta: { progressToken },
  })) as CallToolResult;
  return { result, progress };
}

describe.each(kinds)('Progress notifications over %s', (kind) => {
  let running: RunningApp;
  let connected: ConnectedClient;

  beforeEach(async () => {
    running = await startApp({ AAREGURU_RETRIES: '0' });
    connected = await connectClient(kind, {
      url: running.url,
      env: { AAREGURU_BASE_URL: running.fake.baseUrl, AAREGURU_RETRIES: '0' },
    });
  });

  afterEach(async () => {
    await connected.close();
    await running.close();
  });

  it('compare_cities over every city reports one increasing step per city, then the same answer', async () => {
    const { result: reported, progress } = await callWithProgress(connected, 'compare_cities', {});
    const plain = await connected.client.callTool({ name: 'compare_cities', arguments: {} });

    expect(progress.map((p) => p.progress)).toEqual(
      Array.from({ length: CITY_COUNT }, (_, i) => i + 1),
    );
    expect(progress.every((p) => p.total === CITY_COUNT)).toBe(true);
    const answer = answerOf(reported);
    const ranked = (answer.answer.cities as { name: string | null; city: string }[]).map(
      (c, i) => `${c.name ?? c.city}: ${i + 1} of ${CITY_COUNT}`,
    );
    expect(progress.map((p) => p.message)).toEqual(ranked);
    expect(answer).toEqual(answerOf(plain));
    expect(answer.isError).toBeFalsy();
  });

  it('a long get_historical_data range reports its three stages; a week reports none', async () => {
    const { result: reported, progress: long } = await callWithProgress(
      connected,
      'get_historical_data',
      { city: 'bern', start: '-30 days', end: 'now' },
    );
    expect(reported.isError).toBeFalsy();
    expect(long.map((p) => [p.progress, p.total])).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    expect(long[0].message).toMatch(/^Asking upstream for 30 days of bern$/);

    const { result: short, progress: week } = await callWithProgress(
      connected,
      'get_historical_data',
      { city: 'bern', start: '-7 days', end: 'now' },
    );
    expect(short.isError).toBeFalsy();
    expect(week).toEqual([]);
  });

  it('sends no progress notification to a call without a progress token', async () => {
    const seen: unknown[] = [];
    // Catches every progress notification, whatever its token (the client's own is replaced).
    connected.client.setNotificationHandler('notifications/progress', (n) => {
      seen.push(n.params);
    });
    const tokened = await connected.client.callTool({
      name: 'compare_cities',
      arguments: { cities: ['bern', 'thun'] },
      _meta: { progressToken: 'by-hand' },
    });
    expect(tokened.isError).toBeFalsy();
    expect(seen).toHaveLength(2);
    seen.length = 0;

    await connected.client.callTool({ name: 'compare_cities', arguments: {} });
    await connected.client.callTool({
      name: 'get_historical_data',
      arguments: { city: 'thun', start: '-60 days', end: 'now' },
    });
    expect(seen).toEqual([]);
  });
});
