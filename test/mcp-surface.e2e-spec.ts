import type { CallToolResult } from '@modelcontextprotocol/client';
import { FakeAareguru } from './fake-upstream/fake-aareguru';
import { RunningApp, startApp } from './support/http-app';
import { ClientKind, ConnectedClient, connectClient } from './support/mcp-clients';

const KINDS: ClientKind[] = ['streamable-2025', 'streamable-2026', 'sse', 'stdio'];
const CITY_IDS = ['brienz', 'interlaken', 'thun', 'bern', 'hagneck', 'biel', 'olten', 'brugg'];
const TOOL_NAMES = [
  'get_current_temperature',
  'get_current_conditions',
  'list_cities',
  'get_flow_danger_level',
  'get_historical_data',
  'compare_cities',
  'get_forecast',
];

function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

describe.each(KINDS)('The MCP surface over %s', (kind) => {
  let fake: FakeAareguru;
  let running: RunningApp;
  let connected: ConnectedClient;

  beforeAll(async () => {
    fake = new FakeAareguru();
    await fake.start();
    running = await startApp({}, fake);
    connected = await connectClient(kind, {
      url: running.url,
      env: { AAREGURU_BASE_URL: fake.baseUrl },
    });
  });

  afterAll(async () => {
    await connected?.close();
    await running?.close();
    await fake?.stop();
  });

  const call = (name: string, args: Record<string, unknown> = {}) =>
    connected.client.callTool({ name, arguments: args }) as Promise<CallToolResult>;

  it('identifies itself with instructions and the logging capability', () => {
    expect(connected.client.getServerVersion()).toMatchObject({ name: 'aareguru-mcp' });
    expect(connected.client.getServerCapabilities()).toMatchObject({
      logging: {},
      tools: expect.any(Object),
      resources: expect.any(Object),
      prompts: expect.any(Object),
    });
    expect(connected.client.getInstructions()).toMatch(/Bernese Swiss German/);
  });

  it('lists every tool with title, schemas and annotations', async () => {
    const { tools } = await connected.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual([...TOOL_NAMES].sort());
    for (const tool of tools) {
      expect(tool.title).toBeTruthy();
      expect(tool.description!.length).toBeGreaterThan(40);
      expect(tool.inputSchema.type).toBe('object');
      expect(tool.outputSchema?.type).toBe('object');
      expect(tool.annotations).toMatchObject({
        readOnlyHint: true,
        idempotentHint: true,
        openWorldHint: true,
      });
    }
    const temperature = tools.find((t) => t.name === 'get_current_temperature')!;
    expect(temperature.inputSchema.properties?.city).toMatchObject({
      type: 'string',
      default: 'bern',
      description: expect.stringMatching(/list_cities/),
    });
  });

  it('get_current_temperature: temperature, phrase explained, forecast and a warmer city', async () => {
    const result = await call('get_current_temperature', { city: 'Bern' });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      city: 'bern',
      temperature: 12.5,
      temperaturePrecise: 12.49,
      text: 'Uschaflig chaut',
      textShort: 'Uuuh chaut',
      textEnglish: 'awfully cold',
      measuredAt: '2023-05-09T11:20:00.000Z',
      forecast2h: 12.7,
      trend: 'stable',
      warmerAlternative: { city: 'biel', temperature: 21.4 },
      source: { stale: false, attribution: expect.stringMatching(/aare\.guru.*BAFU/) },
    });
    expect(textOf(result)).toContain('"Uschaflig chaut" (awfully cold)');
  });

  it('get_current_temperature defaults to Bern', async () => {
    const result = await call('get_current_temperature');
    expect(result.structuredContent).toMatchObject({ city: 'bern', temperature: 12.5 });
  });

  it('get_current_conditions: water, danger, weather, sun, Bueber and the last 24 h', async () => {
    const result = await call('get_current_conditions', { city: 'bern' });
    expect(result.structuredContent).toMatchObject({
      city: 'bern',
      water: { temperature: 12.5, flow: 247, flowText: 'ender viu', height: 502.84 },
      danger: { level: 1, source: 'upstream' },
      weather: {
        now: { airTemperature: 18.3 },
        today: {
          morning: { description: 'bewöukt', descriptionEnglish: 'cloudy' },
          afternoon: { description: 'e gutsch', precipitationRiskPercent: 90 },
          evening: { description: 'starche räge' },
        },
      },
      sun: {
        todayTotal: '3:20',
        spots: expect.arrayContaining([expect.objectContaining({ name: 'Marzili' })]),
      },
      bueber: { open: false, state: 'closed' },
      last24h: { points: expect.any(Number) },
    });
    const last24h = (
      result.structuredContent as { last24h: { minTemperature: number; maxTemperature: number } }
    ).last24h;
    expect(last24h.minTemperature).toBeLessThanOrEqual(last24h.maxTemperature);
    expect(textOf(result)).toContain('Bueber channel: closed');
  });

  it('list_cities: every city upstream lists', async () => {
    const result = await call('list_cities');
    const cities = (result.structuredContent as { cities: { id: string }[] }).cities;
    expect(cities.map((c) => c.id)).toEqual(CITY_IDS);
    expect(cities[3]).toMatchObject({
      id: 'bern',
      name: 'Bärn',
      longName: 'Bern, Schönau',
      coordinates: { lat: 46.93, lon: 7.45 },
      temperature: expect.any(Number),
    });
  });

  it('get_flow_danger_level: upstream level, thresholds and advice; unknown without flow', async () => {
    const bern = await call('get_flow_danger_level', { city: 'bern' });
    // The same flow as get_current_conditions reports: the fake serves one state per city.
    expect(bern.structuredContent).toMatchObject({
      flow: 247,
      flowText: 'ender viu',
      flowTextEnglish: 'rather a lot',
      level: 1,
      levelSource: 'upstream',
      thresholds: [
        { level: 2, minFlow: 100 },
        { level: 3, minFlow: 220 },
        { level: 4, minFlow: 300 },
        { level: 5, minFlow: 430 },
      ].map((t) => expect.objectContaining(t)),
      advice: expect.any(String),
    });
    const olten = await call('get_flow_danger_level', { city: 'olten' });
    expect(olten.isError).toBeFalsy();
    expect(olten.structuredContent).toMatchObject({
      flow: null,
      level: null,
      levelSource: 'unknown',
      label: 'unknown: no flow data',
    });
    expect(textOf(olten)).not.toMatch(/NaN/);
  });

  it('get_historical_data: series, summary and granularity from relative dates', async () => {
    const result = await call('get_historical_data', { city: 'bern', start: '-1 day', end: 'now' });
    expect(result.isError).toBeFalsy();
    const report = result.structuredContent as {
      granularity: { seconds: number; label: string };
      temperature: { summary: { count: number; trend: string; min: number; max: number } };
      flow: { points: unknown[] };
      downsampled: boolean;
    };
    expect(report.granularity).toEqual({ seconds: 600, label: '10 minutes' });
    expect(report.temperature.summary.count).toBeGreaterThan(100);
    expect(report.temperature.summary.min).toBeLessThanOrEqual(report.temperature.summary.max);
    expect(report.flow.points.length).toBeGreaterThan(100);
    expect(report.downsampled).toBe(false);
  });

  it('get_historical_data: a reversed or too long range is an error that says so', async () => {
    const reversed = await call('get_historical_data', {
      city: 'bern',
      start: 'now',
      end: '-1 day',
    });
    expect(reversed.isError).toBe(true);
    expect(textOf(reversed)).toMatch(/must be before the end/);
    const tooLong = await call('get_historical_data', {
      city: 'bern',
      start: '2020-01-01',
      end: '2023-01-01',
    });
    expect(tooLong.isError).toBe(true);
    expect(textOf(tooLong)).toMatch(/at most 366 days/);
  });

  it('compare_cities: ranked warmest first, with a failing city reported beside the others', async () => {
    const all = await call('compare_cities');
    const report = all.structuredContent as {
      cities: { city: string; temperature: number | null }[];
      warmest: string;
      coldest: string;
      safest: string;
    };
    expect(report.cities.map((c) => c.city)).toEqual([
      'biel',
      'brugg',
      'olten',
      'hagneck',
      'interlaken',
      'thun',
      'bern',
      'brienz',
    ]);
    expect(report).toMatchObject({ warmest: 'biel', coldest: 'brienz', safest: 'brienz' });

    const some = await call('compare_cities', { cities: ['Thun', 'atlantis', 'bern'] });
    expect(some.isError).toBeFalsy();
    expect(some.structuredContent).toMatchObject({
      cities: [
        { city: 'thun', temperature: 17.2 },
        { city: 'bern', temperature: 12.5 },
        { city: 'atlantis', temperature: null, error: expect.stringMatching(/Unknown city/) },
      ],
      warmest: 'thun',
    });
  });

  it('get_forecast: water trend, weather today and the next days, sunshine', async () => {
    const result = await call('get_forecast', { city: 'bern' });
    expect(result.structuredContent).toMatchObject({
      water: {
        now: 12.5,
        in2h: 12.7,
        trend: 'stable',
        textEnglish: 'will probably stay about the same',
      },
      weatherToday: { morning: { description: 'bewöukt' } },
      nextDays: expect.arrayContaining([
        expect.objectContaining({ day: 'Mitwuch', dayEnglish: 'Wednesday' }),
      ]),
    });
    const report = result.structuredContent as { nextDays: unknown[]; sunshine: unknown[] };
    expect(report.nextDays).toHaveLength(4);
    expect(report.sunshine).toHaveLength(5);
  });

  it('answers an unknown city with an error naming the valid ids, never another city’s data', async () => {
    for (const tool of [
      'get_current_temperature',
      'get_current_conditions',
      'get_forecast',
      'get_flow_danger_level',
    ]) {
      const result = await call(tool, { city: 'zurich' });
      expect(result.isError).toBe(true);
      expect(result.structuredContent).toBeUndefined();
      expect(textOf(result)).toBe(
        `Unknown city "zurich". Valid city ids: ${CITY_IDS.join(', ')}. Use list_cities to see every city.`,
      );
    }
  });

  it('lists the static resources and one resource per city for each template', async () => {
    const { resources } = await connected.client.listResources();
    const uris = resources.map((r) => r.uri);
    expect(uris).toEqual(
      expect.arrayContaining([
        'aareguru://cities',
        'aareguru://widget',
        'aareguru://safety-levels',
        ...CITY_IDS.map((id) => `aareguru://current/${id}`),
        ...CITY_IDS.map((id) => `aareguru://today/${id}`),
      ]),
    );
    const { resourceTemplates } = await connected.client.listResourceTemplates();
    expect(resourceTemplates.map((t) => t.uriTemplate).sort()).toEqual([
      'aareguru://current/{city}',
      'aareguru://history/{city}/{start}/{end}',
      'aareguru://history/{city}/{start}/{end}.csv',
      'aareguru://today/{city}',
    ]);
  });

  it('reads every static resource as JSON', async () => {
    for (const uri of ['aareguru://cities', 'aareguru://widget', 'aareguru://safety-levels']) {
      const { contents } = await connected.client.readResource({ uri });
      expect(contents[0]).toMatchObject({ uri, mimeType: 'application/json' });
      expect(() => JSON.parse((contents[0] as { text: string }).text)).not.toThrow();
    }
    const levels = await connected.client.readResource({ uri: 'aareguru://safety-levels' });
    expect(JSON.parse((levels.contents[0] as { text: string }).text).levels).toHaveLength(5);
  });

  it('reads the city templates for a city, and not for an unknown one', async () => {
    const current = await connected.client.readResource({ uri: 'aareguru://current/thun' });
    const body = JSON.parse((current.contents[0] as { text: string }).text);
    expect(body.data.aare.location).toBe('Thun');
    expect(body.source.stale).toBe(false);
    const today = await connected.client.readResource({ uri: 'aareguru://today/interlaken' });
    expect(JSON.parse((today.contents[0] as { text: string }).text).data.name).toBe('Interlake');

    await expect(
      connected.client.readResource({ uri: 'aareguru://current/zurich' }),
    ).rejects.toThrow(/zurich/);
  });

  it('completes {city} from the live city list', async () => {
    const result = await connected.client.complete({
      ref: { type: 'ref/resource', uri: 'aareguru://current/{city}' },
      argument: { name: 'city', value: 'b' },
    });
    expect(result.completion.values).toEqual(['brienz', 'bern', 'biel', 'brugg']);
    const prompt = await connected.client.complete({
      ref: { type: 'ref/prompt', name: 'daily-swimming-report' },
      argument: { name: 'city', value: 'th' },
    });
    expect(prompt.completion.values).toEqual(['thun']);
  });

  it('lists and gets every prompt, each naming the tools to call', async () => {
    const { prompts } = await connected.client.listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual([
      'compare-swimming-spots',
      'daily-swimming-report',
      'weekly-trend-analysis',
    ]);
    const daily = await connected.client.getPrompt({
      name: 'daily-swimming-report',
      arguments: { city: 'Thun' },
    });
    expect((daily.messages[0].content as { text: string }).text).toMatch(
      /get_current_conditions with city "thun"/,
    );
    const compare = await connected.client.getPrompt({ name: 'compare-swimming-spots' });
    expect((compare.messages[0].content as { text: string }).text).toMatch(/compare_cities/);
    const weekly = await connected.client.getPrompt({
      name: 'weekly-trend-analysis',
      arguments: { city: 'bern', days: '14' },
    });
    expect((weekly.messages[0].content as { text: string }).text).toMatch(
      /get_historical_data with city "bern", start "-14 days"/,
    );
    await expect(
      connected.client.getPrompt({ name: 'daily-swimming-report', arguments: { city: 'zurich' } }),
    ).rejects.toThrow(/Unknown city/);
  });
});
