/**
 * Records what each view is shown in the browser tests: the tool's arguments and its result, as
 * this server answers them from the fake upstream's recorded data. `npm run views:fixtures`
 * writes test/fixtures/views/<view>.json; run it when a report's shape changes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VIEWS } from '../../src/views/view-catalogue';
import { startApp } from './http-app';
import { ManualClock } from './manual-clock';
import { connectClient } from './mcp-clients';

export const VIEW_FIXTURE_ARGUMENTS: Record<string, Record<string, unknown>> = {
  conditions: { city: 'bern' },
  history: { city: 'bern', start: '2023-05-07T11:00:00Z', end: '2023-05-09T11:00:00Z' },
  compare: {},
  forecast: { city: 'bern' },
};

async function main(): Promise<void> {
  // The moment the recorded samples were taken, so that every answer is fresh.
  const running = await startApp({}, undefined, new ManualClock());
  const connected = await connectClient('streamable-2026', { url: running.url });
  try {
    for (const view of VIEWS) {
      const args = VIEW_FIXTURE_ARGUMENTS[view.name];
      const result = await connected.client.callTool({ name: view.tool, arguments: args });
      if (result.isError) throw new Error(`${view.tool} failed: ${JSON.stringify(result.content)}`);
      const file = join(__dirname, '..', 'fixtures', 'views', `${view.name}.json`);
      const { content, structuredContent } = result;
      writeFileSync(
        file,
        `${JSON.stringify({ tool: view.tool, arguments: args, result: { content, structuredContent } }, null, 2)}\n`,
      );
      process.stdout.write(`wrote ${file}\n`);
    }
  } finally {
    await connected.close();
    await running.close();
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
