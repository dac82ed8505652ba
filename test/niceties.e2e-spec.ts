import type { CallToolResult, Icon } from '@modelcontextprotocol/client';
import { RunningApp, startApp } from './support/http-app';
import { ManualClock } from './support/manual-clock';
import { ClientKind, ConnectedClient, connectClient } from './support/mcp-clients';

const KINDS: ClientKind[] = ['streamable-2025', 'streamable-2026'];
const CACHE_TTL_SECONDS = 120;
const DAY_MS = 24 * 60 * 60 * 1000;
const HISTORY = '/v2018/history';
const CSV_HEADER = 'time,timestamp,temperature_celsius,flow_m3s';

/** Every icon is an inline SVG, drawn for a light and for a dark background. */
function expectThemedSvgIcons(icons: Icon[] | undefined): void {
  expect(icons?.map((icon) => icon.theme).sort()).toEqual(['dark', 'light']);
  for (const icon of icons!) {
    expect(icon).toMatchObject({ mimeType: 'image/svg+xml', sizes: ['any'] });
    expect(icon.src).toMatch(/^data:image\/svg\+xml;base64,/);
    const svg = Buffer.from(icon.src.split(',')[1], 'base64').toString('utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).not.toMatch(/<script|href=|url\(/i);
  }
}

describe.each(KINDS)(
  'Icons, the history template, resource links and cache hints over %s',
  (kind) => {
    const modern = kind === 'streamable-2026';
    let running: RunningApp;
    let connected: ConnectedClient;
    const clock = new ManualClock();

    beforeAll(async () => {
      // 2023-05-09 11:20 UTC, the day the recorded samples were taken.
      running = await startApp({ CACHE_TTL_SECONDS: String(CACHE_TTL_SECONDS) }, undefined, clock);
      connected = await connectClient(kind, { url: running.url });
    });
    afterAll(async () => {
      await connected?.close();
      await running?.close();
    });
    beforeEach(() => running.fake.reset());

    const read = (uri: string) =>
      connected.client.readResource({ uri }) as Promise<
        Awaited<ReturnType<ConnectedClient['client']['readResource']>> & {
          ttlMs?: number;
          cacheScope?: string;
        }
      >;

    it('shows icons on the server', () => {
      expectThemedSvgIcons(connected.client.getServerVersion()?.icons);
    });

    it('shows icons on every tool and every prompt', async () => {
      const { tools } = await connected.client.listTools();
      for (const tool of tools) expectThemedSvgIcons(tool.icons);
      const { prompts } = await connected.client.listPrompts();
      expect(prompts.length).toBeGreaterThan(0);
      for (const prompt of prompts) expectThemedSvgIcons(prompt.icons);
    });

    it('shows icons on the resources and the templates', async () => {
      const { resources } = await connected.client.listResources();
      for (const uri of ['aareguru://cities', 'aareguru://widget', 'aareguru://safety-levels']) {
        expectThemedSvgIcons(resources.find((r) => r.uri === uri)?.icons);
      }
      const { resourceTemplates } = await connected.client.listResourceTemplates();
      expect(resourceTemplates.length).toBeGreaterThan(0);
      for (const template of resourceTemplates) expectThemedSvgIcons(template.icons);
    });

    it('lists the history template in JSON and in CSV', async () => {
      const { resourceTemplates } = await connected.client.listResourceTemplates();
      const byUri = new Map(resourceTemplates.map((t) => [t.uriTemplate, t]));
      expect(byUri.get('aareguru://history/{city}/{start}/{end}')).toMatchObject({
        name: 'history',
        mimeType: 'application/json',
      });
      expect(byUri.get('aareguru://history/{city}/{start}/{end}.csv')).toMatchObject({
        name: 'history-csv',
        mimeType: 'text/csv',
      });
    });

    it('completes the city of the history template', async () => {
      const { completion } = await connected.client.complete({
        ref: { type: 'ref/resource', uri: 'aareguru://history/{city}/{start}/{end}' },
        argument: { name: 'city', value: 'b' },
      });
      expect(completion.values).toEqual(expect.arrayContaining(['bern', 'biel', 'brugg']));
    });

    it('reads a range of dates as JSON: the same report get_historical_data returns', async () => {
      const uri = 'aareguru://history/bern/2023-05-07/2023-05-08';
      const result = await read(uri);
      expect(result.contents).toHaveLength(1);
      const [content] = result.contents;
      expect(content).toMatchObject({ uri, mimeType: 'application/json' });
      const report = JSON.parse((content as { text: string }).text);
      expect(report).toMatchObject({
        city: 'bern',
        start: '2023-05-07T00:00:00.000Z',
        end: '2023-05-08T00:00:00.000Z',
        temperature: { summary: { min: expect.any(Number) } },
        flow: { summary: { max: expect.any(Number) } },
        source: { stale: false },
      });
      expect(report.temperature.points.length).toBeGreaterThan(100);
      expect(running.fake.count(HISTORY)).toBe(1);
    });

    it('reads the same range as CSV, one row per timestamp, from the same cache entry', async () => {
      await read('aareguru://history/bern/2023-05-06/2023-05-07');
      const result = await read('aareguru://history/bern/2023-05-06/2023-05-07.csv');
      const [content] = result.contents;
      expect(content).toMatchObject({
        uri: 'aareguru://history/bern/2023-05-06/2023-05-07.csv',
        mimeType: 'text/csv',
      });
      const rows = (content as { text: string }).text.split('\r\n');
      expect(rows[0]).toBe(CSV_HEADER);
      expect(rows.at(-1)).toBe('');
      expect(rows[1]).toMatch(/^2023-05-06T00:00:00Z,1683331200,\d+(\.\d+)?,\d+(\.\d+)?$/);
      expect(rows.length).toBeGreaterThan(100);
      expect(running.fake.count(HISTORY)).toBe(1);
    });

    it('takes the relative forms get_historical_data takes, URI-encoded', async () => {
      const result = await read('aareguru://history/bern/-1%20day/now.csv');
      const rows = (result.contents[0] as { text: string }).text.split('\r\n');
      expect(rows[0]).toBe(CSV_HEADER);
      expect(rows.length).toBeGreaterThan(100);
    });

    it('answers an unknown city as the other resources do, naming the valid ones', async () => {
      const uri = 'aareguru://history/atlantis/2023-05-07/2023-05-08';
      // The SDK's "resource not found": invalid params with the URI.
      await expect(read(uri)).rejects.toMatchObject({
        code: -32602,
        message: expect.stringMatching(/Unknown city "atlantis". Valid city ids: .*bern/),
        data: { uri },
      });
      expect(running.fake.count(HISTORY)).toBe(0);
    });

    it('refuses a range too long or reversed, with the reason, without asking upstream', async () => {
      await expect(read('aareguru://history/bern/2017-01-01/2023-05-08')).rejects.toMatchObject({
        code: -32602,
        message: expect.stringMatching(/at most \d+ days/),
      });
      await expect(read('aareguru://history/bern/2023-05-08/2023-05-07.csv')).rejects.toMatchObject(
        { code: -32602, message: expect.stringMatching(/must be before the end/) },
      );
      expect(running.fake.count(HISTORY)).toBe(0);
    });

    it('refuses a time that is not valid percent-encoding as a time not understood', async () => {
      await expect(read('aareguru://history/bern/%E0%A4%A/now')).rejects.toMatchObject({
        code: -32602,
        message: expect.stringMatching(/is not a time I understand/),
      });
      expect(running.fake.count(HISTORY)).toBe(0);
    });

    it('get_historical_data links the range it served, after its complete text', async () => {
      const asked = () => running.fake.count(HISTORY);
      const result = (await connected.client.callTool({
        name: 'get_historical_data',
        arguments: { city: 'bern', start: '-1 day', end: 'now' },
      })) as CallToolResult;
      expect(result.isError).toBeFalsy();
      const [text, json, csv] = result.content;
      expect(text).toMatchObject({
        type: 'text',
        text: expect.stringMatching(/^bern from .*Flow:/s),
      });
      const range = '2023-05-08T11:20:00Z/2023-05-09T11:20:00Z';
      expect(json).toEqual({
        type: 'resource_link',
        uri: `aareguru://history/bern/${range}`,
        name: 'history-bern',
        title: 'Aare history at bern, 2023-05-08T11:20:00Z to 2023-05-09T11:20:00Z',
        mimeType: 'application/json',
      });
      expect(csv).toMatchObject({
        type: 'resource_link',
        uri: `aareguru://history/bern/${range}.csv`,
        mimeType: 'text/csv',
      });
      // The link reads what the tool served, from the same cache entry.
      const askedForTheTool = asked();
      const linked = await read((json as { uri: string }).uri);
      const report = JSON.parse((linked.contents[0] as { text: string }).text);
      expect(report.temperature.summary).toEqual(
        (result.structuredContent as { temperature: { summary: unknown } }).temperature.summary,
      );
      expect(asked()).toBe(askedForTheTool);
    });

    if (modern) {
      it('carries cache hints matching the upstream cache on reads', async () => {
        for (const uri of ['aareguru://cities', 'aareguru://widget', 'aareguru://current/bern']) {
          expect(await read(uri)).toMatchObject({
            ttlMs: CACHE_TTL_SECONDS * 1000,
            cacheScope: 'public',
          });
        }
        expect(await read('aareguru://safety-levels')).toMatchObject({
          ttlMs: DAY_MS,
          cacheScope: 'public',
        });
      });

      it('keeps a history of past days long, one reaching today or relative to now short', async () => {
        expect(await read('aareguru://history/bern/2023-05-07/2023-05-08')).toMatchObject({
          ttlMs: DAY_MS,
        });
        expect(await read('aareguru://history/bern/2023-05-08/2023-05-09T11:00Z')).toMatchObject({
          ttlMs: CACHE_TTL_SECONDS * 1000,
        });
        expect(await read('aareguru://history/bern/-3%20days/yesterday.csv')).toMatchObject({
          ttlMs: CACHE_TTL_SECONDS * 1000,
        });
      });

      it('hints only what is left of a cached answer, not a whole TTL more', async () => {
        // Past the client's own response cache, which honours the hints it was given.
        const readAnew = (uri: string) =>
          connected.client.readResource({ uri }, { cacheMode: 'bypass' }) as ReturnType<
            typeof read
          >;
        await readAnew('aareguru://widget');
        clock.advance(100_000);
        expect(await readAnew('aareguru://widget')).toMatchObject({ ttlMs: 20_000 });
        expect(await readAnew('aareguru://current/bern')).toMatchObject({ ttlMs: 20_000 });
        // The cache entry expires; the next read is fresh again.
        clock.advance(30_000);
        expect(await readAnew('aareguru://widget')).toMatchObject({
          ttlMs: CACHE_TTL_SECONDS * 1000,
        });
      });

      it('carries cache hints on the lists', async () => {
        expect(await connected.client.listTools()).toMatchObject({
          ttlMs: 60 * 60 * 1000,
          cacheScope: 'public',
        });
        expect(await connected.client.listResourceTemplates()).toMatchObject({
          ttlMs: 60 * 60 * 1000,
        });
      });
    } else {
      it('sends no cache fields: 2025 results do not have them', async () => {
        for (const uri of [
          'aareguru://cities',
          'aareguru://safety-levels',
          'aareguru://history/bern/2023-05-07/2023-05-08',
        ]) {
          const result = await read(uri);
          expect(result).not.toHaveProperty('ttlMs');
          expect(result).not.toHaveProperty('cacheScope');
        }
        expect(await connected.client.listTools()).not.toHaveProperty('ttlMs');
      });
    }
  },
);
