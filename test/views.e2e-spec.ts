import {
  Client,
  StreamableHTTPClientTransport,
  type CallToolResult,
  type ReadResourceResult,
  type Tool,
} from '@modelcontextprotocol/client';
import { RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';
import type { z } from 'zod';
import {
  comparisonReportSchema,
  conditionsReportSchema,
  forecastReportSchema,
  historyReportSchema,
} from '../src/aare/reports.schemas';
import { VIEWS } from '../src/views/view-catalogue';
import { RunningApp, startApp } from './support/http-app';
import { ManualClock } from './support/manual-clock';
import { ClientKind, ConnectedClient, connectClient } from './support/mcp-clients';
import { VIEW_FIXTURE_ARGUMENTS } from './support/record-view-fixtures';
import { viewFixture } from './support/views-browser';

const UI_EXTENSION = 'io.modelcontextprotocol/ui';
/** What a view may weigh, inlined script and style included. */
const VIEW_BUDGET_BYTES = 64 * 1024;
const SCHEMAS: Record<string, z.ZodType> = {
  conditions: conditionsReportSchema,
  history: historyReportSchema,
  compare: comparisonReportSchema,
  forecast: forecastReportSchema,
};

/** A client that says it can show MCP Apps (the extension's capability). */
async function connectAppsClient(url: string, modern: boolean): Promise<Client> {
  const client = new Client({ name: 'aareguru-e2e-apps', version: '1.0.0' }, {
    capabilities: { extensions: { [UI_EXTENSION]: { mimeTypes: [RESOURCE_MIME_TYPE] } } },
    ...(modern ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {}),
  } as never);
  await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`)));
  return client;
}

describe.each<ClientKind>(['streamable-2025', 'streamable-2026', 'sse', 'stdio'])(
  'MCP Apps views over %s',
  (kind) => {
    let running: RunningApp;
    let connected: ConnectedClient;
    let tools: Tool[];

    beforeAll(async () => {
      // The moment the fixtures were recorded at: the answers are the recorded ones.
      running = await startApp({}, undefined, new ManualClock());
      connected = await connectClient(kind, {
        url: running.url,
        env: { AAREGURU_BASE_URL: running.fake.baseUrl },
      });
      tools = (await connected.client.listTools()).tools;
    });
    afterAll(async () => {
      await connected?.close();
      await running?.close();
    });

    it('tells the model when a view is worth showing', () => {
      const instructions = connected.client.getInstructions() ?? '';
      const views = instructions.split('\n\n').find((p) => p.startsWith('Views (MCP Apps)'));
      for (const view of VIEWS) expect(views).toContain(view.tool);
      expect(views).toMatch(
        /Still give the key numbers in your answer, as not every client shows views/,
      );
    });

    it("declares each view on its tool's _meta.ui, and the older ui/resourceUri key beside it", () => {
      for (const view of VIEWS) {
        const tool = tools.find((t) => t.name === view.tool)!;
        expect(tool._meta).toEqual({
          ui: { resourceUri: view.uri },
          'ui/resourceUri': view.uri,
        });
      }
      const withViews = tools.filter((t) => t._meta?.ui).map((t) => t.name);
      expect(withViews.sort()).toEqual(VIEWS.map((v) => v.tool).sort());
    });

    it('lists the views as ui:// resources of type text/html;profile=mcp-app', async () => {
      const { resources } = await connected.client.listResources();
      for (const view of VIEWS) {
        expect(resources.find((r) => r.uri === view.uri)).toMatchObject({
          name: `view-${view.name}`,
          title: view.title,
          mimeType: 'text/html;profile=mcp-app',
        });
      }
    });

    it.each(VIEWS.map((v) => [v.name, v] as const))(
      'serves the %s view as one self-contained HTML document, within its size budget',
      async (_name, view) => {
        const read = (await connected.client.readResource({ uri: view.uri })) as ReadResourceResult;
        expect(read.contents).toHaveLength(1);
        const [content] = read.contents as { uri: string; mimeType: string; text: string }[];
        expect(content).toMatchObject({ uri: view.uri, mimeType: RESOURCE_MIME_TYPE });
        // No CSP domains declared: the host's default policy, no network, applies.
        expect((content as { _meta?: unknown })._meta).toBeUndefined();
        const html = content.text;
        expect(html).toMatch(/^<!doctype html>\n<html lang="en">/);
        expect(html).toContain(`<title>${view.title}</title>`);
        // Everything inline: no element loads anything, from anywhere.
        expect(html).not.toMatch(
          /<(script|img|iframe|link|source|object|embed)\b[^>]*\b(src|href|data)=/i,
        );
        expect(html).not.toMatch(/@import|url\(\s*['"]?(https?:)?\/\//i);
        expect(html).not.toMatch(/\bfetch\(|XMLHttpRequest|WebSocket|EventSource/);
        expect(Buffer.byteLength(html)).toBeLessThan(VIEW_BUDGET_BYTES);
      },
    );

    it.each(VIEWS.map((v) => [v.tool, v] as const))(
      '%s answers with a complete text and the structured data its view shows: the recorded fixture',
      async (_tool, view) => {
        const fixture = viewFixture(view.name);
        expect(fixture.tool).toBe(view.tool);
        expect(fixture.arguments).toEqual(VIEW_FIXTURE_ARGUMENTS[view.name]);
        const result = (await connected.client.callTool({
          name: view.tool,
          arguments: fixture.arguments,
        })) as CallToolResult;
        expect(result.isError).toBeFalsy();
        // The text alone answers the question for a client without Apps.
        expect(result.content[0].type).toBe('text');
        expect((result.content[0] as { text: string }).text.length).toBeGreaterThan(80);
        SCHEMAS[view.name].parse(result.structuredContent);
        // The fixtures the browser tests show are what the server answers: a report whose shape
        // changed needs `npm run views:fixtures`. (The stdio server runs on the real clock.)
        if (kind !== 'stdio') {
          expect(result.structuredContent).toEqual(fixture.result.structuredContent);
          expect(result.content).toEqual(fixture.result.content);
        }
      },
    );

    it('answers a ui:// address it does not serve with an error, not a page', async () => {
      await expect(
        connected.client.readResource({ uri: 'ui://aareguru/nowhere.html' }),
      ).rejects.toThrow(/not found/i);
    });

    if (kind.startsWith('streamable')) {
      it('lists the same tools and views to a client that can show Apps and to one that cannot', async () => {
        const apps = await connectAppsClient(running.url, kind === 'streamable-2026');
        try {
          expect((await apps.listTools()).tools).toEqual(tools);
          expect((await apps.listResources()).resources).toEqual(
            (await connected.client.listResources()).resources,
          );
          const call = await apps.callTool({ name: 'get_forecast', arguments: { city: 'bern' } });
          expect(call).toEqual(
            await connected.client.callTool({ name: 'get_forecast', arguments: { city: 'bern' } }),
          );
        } finally {
          await apps.close();
        }
      });
    }
  },
);
