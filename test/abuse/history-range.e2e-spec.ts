import type { CallToolResult } from '@modelcontextprotocol/client';
import { RunningApp, startApp } from '../support/http-app';
import { ManualClock } from '../support/manual-clock';
import { ConnectedClient, connectClient } from '../support/mcp-clients';

const HISTORY = '/v2018/history';

function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

describe('History ranges outside the data upstream has', () => {
  let running: RunningApp;
  let connected: ConnectedClient;

  beforeAll(async () => {
    // 2023-05-09, the day the recorded samples were taken.
    running = await startApp({}, undefined, new ManualClock());
    connected = await connectClient('streamable-2025', { url: running.url });
  });
  afterAll(async () => {
    await connected?.close();
    await running?.close();
  });
  beforeEach(() => running.fake.reset());

  const history = (start: string, end: string) =>
    connected.client.callTool({
      name: 'get_historical_data',
      arguments: { city: 'bern', start, end },
    }) as Promise<CallToolResult>;

  it.each([
    ['far in the future', '9999-12-30', '9999-12-31', /in the future/],
    ['ending in the future', '-1 day', '2023-05-11', /in the future/],
    ['before any data', '-999999 weeks', '-999998 weeks', /before 2017-01-01/],
    ['ending before any data', '1990-01-01', '1990-06-01', /before 2017-01-01/],
  ])('refuses a range %s without asking upstream', async (_name, start, end, problem) => {
    const result = await history(start, end);
    expect(result.isError).toBe(true);
    const text = textOf(result);
    expect(text).toMatch(problem);
    expect(text).toMatch(/from 2017-01-01 and not in the future/);
    expect(running.fake.count(HISTORY)).toBe(0);
  });

  it('still serves a range within the data', async () => {
    const result = await history('2023-05-08', 'now');
    expect(result.isError).toBeFalsy();
    expect(running.fake.count(HISTORY)).toBe(1);
  });
});

describe('History ranges with HISTORY_EARLIEST_DATE set', () => {
  let running: RunningApp;
  let connected: ConnectedClient;

  beforeAll(async () => {
    running = await startApp({ HISTORY_EARLIEST_DATE: '2023-01-01' }, undefined, new ManualClock());
    connected = await connectClient('streamable-2025', { url: running.url });
  });
  afterAll(async () => {
    await connected?.close();
    await running?.close();
  });

  it('refuses a range before the configured date', async () => {
    const result = (await connected.client.callTool({
      name: 'get_historical_data',
      arguments: { city: 'bern', start: '2022-12-01', end: '2023-01-15' },
    })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/before 2023-01-01/);
    expect(running.fake.count(HISTORY)).toBe(0);
  });
});
