/**
 * npm run bench:profile — runs the production build under `node --cpu-prof` with cached
 * tools/call load (2025 stateful sessions, or `--kind modern|sse`) and prints where the CPU time
 * went: self time by package and by function. `--server plain-sdk` profiles the plain SDK
 * reference instead. Options: --seconds 15, --connections 50, --dir <where the .cpuprofile is kept>.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeAareguru } from '../test/fake-upstream/fake-aareguru';
import { option } from './lib/cli';
import { captureModernRequest, LoadResult, replayLoad, statefulLoad } from './lib/load';
import { pinLoadGenerator, startServer } from './lib/processes';
import { BENCH_API_KEY, benchServerEnv, CACHED_CALL, cachedCallResult } from './lib/our-server';

const SECONDS = Number(option('seconds', '15'));
const CONNECTIONS = Number(option('connections', '50'));
const KIND = option('kind', 'stateful');
const SERVER = option('server', 'ours');
const MAIN = join(__dirname, '..', 'dist', 'main.js');
const PLAIN_SDK = join(__dirname, 'servers', 'plain-sdk.mjs');
const DIR = option('dir', join(tmpdir(), `aareguru-profile-${Date.now()}`));

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

async function main(): Promise<void> {
  pinLoadGenerator(1);
  mkdirSync(DIR, { recursive: true });
  const fake = new FakeAareguru();
  const upstream = await fake.start();
  const server = await startServer(
    'ours',
    ['--cpu-prof', '--cpu-prof-dir', DIR, SERVER === 'plain-sdk' ? PLAIN_SDK : MAIN],
    SERVER === 'plain-sdk' ? { RESULT_FILE: await resultFile(upstream) } : benchServerEnv(upstream),
    0,
  );
  const headers = { 'x-api-key': BENCH_API_KEY };
  try {
    const load =
      KIND === 'modern'
        ? replayLoad(
            `${server.url}/mcp`,
            await captureModernRequest(server.url, CACHED_CALL.params, headers),
            { connections: CONNECTIONS, seconds: SECONDS },
          )
        : statefulLoad(server.url, CACHED_CALL, {
            connections: CONNECTIONS,
            seconds: SECONDS,
            headers,
          });
    report(await load);
  } finally {
    await server.stop();
    await fake.stop();
  }
  const file = readdirSync(DIR).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no profile written to ${DIR}`);
  summarise(JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Profile);
  process.stderr.write(`profile: ${join(DIR, file)}\n`);
}

/** Writes our server's answer to the cached call to a file, for the plain SDK server to return. */
async function resultFile(upstream: string): Promise<string> {
  const ours = await startServer('ours', [MAIN], benchServerEnv(upstream), 0);
  try {
    const file = join(DIR, 'result.json');
    writeFileSync(file, JSON.stringify(await cachedCallResult(ours.url)));
    return file;
  } finally {
    await ours.stop();
  }
}

function report(result: LoadResult): void {
  process.stdout.write(
    `${result.callsPerSecond.toFixed(0)} calls/s, p50 ${result.p50} ms, p99 ${result.p99} ms, ` +
      `${result.errors + result.non2xx} errors (under the profiler)\n`,
  );
}

function packageOf(url: string): string {
  if (!url) return '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node';
  if (url.includes('/dist/')) return 'aareguru-mcp';
  return url;
}

function summarise(profile: Profile): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + profile.timeDeltas[i]));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, micros] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const pkg = packageOf(url);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + micros);
    const name = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
  }
  const print = (title: string, entries: Map<string, number>, limit: number) => {
    process.stdout.write(`\n${title}\n`);
    for (const [name, micros] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
      process.stdout.write(`${((100 * micros) / total).toFixed(1).padStart(5)} %  ${name}\n`);
    }
  };
  // Inclusive time: a sample counts for every package on its stack (once each).
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const inclusive = new Map<string, number>();
  for (const [id, micros] of self) {
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      seen.add(packageOf(byId.get(at)!.callFrame.url));
    }
    for (const pkg of seen) inclusive.set(pkg, (inclusive.get(pkg) ?? 0) + micros);
  }
  print('Self time by package', byPackage, 25);
  print('Inclusive time by package', inclusive, 25);
  print('Self time by function', byFunction, 40);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
