import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Another checkout of this repository, built, that the bench runs next to ours (`--baseline`). */
export interface Baseline {
  dir: string;
  main: string;
  /** The checked-out commit, with "+ uncommitted changes" when the tree differs from it. */
  revision: string;
  /** Set when a source file is newer than everything in dist/: the build may be out of date. */
  staleBuild?: string;
}

/** A mistake on the command line: reported as one line, without a stack. */
export class BenchUsageError extends Error {}

/**
 * Checks that `dir` (relative to where npm was run) is a checkout of this repository with its
 * dependencies installed and its production build in place, so it can start like ours.
 */
export function baselineCheckout(dir: string | undefined, ourRoot: string): Baseline {
  if (!dir || dir.startsWith('--')) {
    throw new BenchUsageError('--baseline needs the directory of a built checkout');
  }
  const root = resolve(process.env.INIT_CWD ?? process.cwd(), dir);
  const problem = (what: string) => new BenchUsageError(`--baseline ${root}: ${what}`);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw problem('no such directory');
  const ourName = packageName(ourRoot);
  if (packageName(root) !== ourName) throw problem(`not a checkout of ${ourName}`);
  if (!existsSync(join(root, 'node_modules'))) {
    throw problem('no node_modules: run `npm ci` there');
  }
  const main = join(root, 'dist', 'main.js');
  if (!existsSync(main)) throw problem('no dist/main.js: run `npm run build` there');
  const source = newestFile(join(root, 'src'));
  const built = newestFile(join(root, 'dist'));
  const staleBuild =
    source && built && source.mtimeMs > built.mtimeMs
      ? `${source.path} changed after the last build: run \`npm run build\` there`
      : undefined;
  return { dir: root, main, revision: revision(root), staleBuild };
}

/** The commit a checkout is at, for the report. */
export function revision(dir: string): string {
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: 'pipe' }).trim();
  try {
    const commit = git('rev-parse', '--short=12', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no')
      ? `${commit} + uncommitted changes`
      : commit;
  } catch {
    return 'unknown revision';
  }
}

function packageName(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name;
  } catch {
    return undefined;
  }
}

function newestFile(dir: string): { path: string; mtimeMs: number } | undefined {
  if (!existsSync(dir)) return undefined;
  let newest: { path: string; mtimeMs: number } | undefined;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    const { mtimeMs } = statSync(path);
    if (!newest || mtimeMs > newest.mtimeMs) newest = { path, mtimeMs };
  }
  return newest;
}
