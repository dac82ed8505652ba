import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM, CHROMIUM_FLAGS, hasChromium } from './support/chromium';
import { RunningApp, startApp } from './support/http-app';

/** Not a loopback name: the browser treats the page as plain HTTP on a network host. */
const DOCS_HOST = 'docs.aare.test';

/** The page's DOM once its scripts have run, as headless Chromium renders it. */
function renderedDom(url: string): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'aareguru-chromium-'));
  const args = [
    '--headless',
    ...CHROMIUM_FLAGS,
    `--user-data-dir=${profile}`,
    `--host-resolver-rules=MAP ${DOCS_HOST} 127.0.0.1`,
    '--virtual-time-budget=5000',
    '--dump-dom',
    url,
  ];
  return new Promise<string>((resolve, reject) => {
    execFile(CHROMIUM, args, { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
  }).finally(() => rmSync(profile, { recursive: true, force: true }));
}

if (!hasChromium && !process.env.CI) {
  process.stderr.write(
    `Skipping the /docs browser check: ${CHROMIUM} is missing (install Debian's "chromium" package, or set CHROMIUM_PATH).\n`,
  );
}

(hasChromium || process.env.CI ? describe : describe.skip)('/docs in a browser', () => {
  let running: RunningApp;

  beforeAll(async () => {
    if (!hasChromium) {
      throw new Error(`${CHROMIUM} is missing: install Debian's "chromium" package`);
    }
    running = await startApp();
  });
  afterAll(() => running?.close());

  it('renders Swagger UI over plain HTTP on a non-loopback host name', async () => {
    const port = new URL(running.url).port;
    const dom = await renderedDom(`http://${DOCS_HOST}:${port}/docs`);
    // Rendered by Swagger UI's scripts: the title and this API's operations.
    expect(dom).toMatch(/<h1 class="title">aareguru-mcp/);
    expect(dom).toContain('class="opblock-tag-section');
    expect(dom).toContain('/admin/sessions');
    expect(dom).toContain('/health/ready');
  }, 40_000);
});
