/**
 * Runs the fake Aareguru API on its own, for working offline:
 *   npm run fake-upstream -- --port 8010
 *   AAREGURU_BASE_URL=http://127.0.0.1:8010 npm start
 */
import { FakeAareguru } from './fake-aareguru';

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function main(): Promise<void> {
  const port = Number(option('port') ?? process.env.FAKE_UPSTREAM_PORT ?? 8010);
  const host = option('host') ?? process.env.FAKE_UPSTREAM_HOST ?? '127.0.0.1';
  const fake = new FakeAareguru();
  const baseUrl = await fake.start(port, host);
  process.stdout.write(
    `Fake Aareguru API on ${baseUrl}\n` +
      `  use it:          AAREGURU_BASE_URL=${baseUrl} npm start\n` +
      `  request counts:  curl ${baseUrl}/__fake/requests\n` +
      `  inject a fault:  curl -X POST ${baseUrl}/__fake/faults -d '{"fault":{"kind":"status","status":500},"times":3}'\n` +
      `  change a city:   curl -X POST ${baseUrl}/__fake/cities/thun -d '{"temperature":18.4,"flow":120}'\n`,
  );
  const stop = () => void fake.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
