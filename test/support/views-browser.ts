import { build } from 'esbuild';
import type { ReadResourceResult } from '@modelcontextprotocol/client';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { VIEWS } from '../../src/views/view-catalogue';
import { CHROMIUM, CHROMIUM_FLAGS, hasChromium } from './chromium';
import { RunningApp, startApp } from './http-app';
import { ConnectedClient, connectClient } from './mcp-clients';
import {
  chromium,
  type Browser,
  type BrowserContext,
  type FrameLocator,
  type Page,
} from 'playwright-core';

/**
 * The policy an MCP Apps host applies to a view that declares no `_meta.ui.csp` (the
 * specification's default, 2026-01-26): inline script and style only, no network at all.
 */
export const DEFAULT_APPS_CSP =
  "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data:; media-src 'self' data:; connect-src 'none'";

/** A text as read aloud: runs of white space (no-break spaces too) as one space. */
export function plain(text: string | null): string {
  return (text ?? '').replace(/\s+/g, ' ');
}

export interface ViewFixture {
  tool: string;
  arguments: Record<string, unknown>;
  result: Record<string, unknown>;
}

/** The fixture with its report changed (a copy); the text content stays as recorded. */
export function withReport<R>(fixture: ViewFixture, change: (report: R) => void): ViewFixture {
  const report = structuredClone(fixture.result.structuredContent) as R;
  change(report);
  return { ...fixture, result: { ...fixture.result, structuredContent: report } };
}

/**
 * A view shown dark and narrow: in the dark palette, following the host, with nothing wider
 * than the frame (no sideways scrolling of the page).
 */
export async function expectDarkAndNarrowFit(shown: ShownView): Promise<void> {
  expect(await shown.view.locator('html').getAttribute('data-theme')).toBe('dark');
  const background = await shown.view
    .locator('body')
    .evaluate((body) => body.ownerDocument.defaultView!.getComputedStyle(body).backgroundColor);
  expect(background).toBe('rgb(18, 24, 29)');
  const overflow = await shown.view
    .locator('html')
    .evaluate((html) => html.scrollWidth - html.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

export function viewFixture(name: string): ViewFixture {
  return JSON.parse(
    readFileSync(join(__dirname, '..', 'fixtures', 'views', `${name}.json`), 'utf8'),
  ) as ViewFixture;
}

export interface ShownView {
  page: Page;
  /** The view's document inside the host's sandboxed frame. */
  view: FrameLocator;
}

/** A JSON value inside a <script> element: nothing in it may close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/**
 * Headless Chromium, a loopback page server playing an MCP Apps host, and a record of every
 * request the browser makes. A request to anything but loopback is refused and remembered.
 */
export class ViewsBrowser {
  /** Every URL the browser asked for, from the host page or from a view. */
  readonly requests: string[] = [];
  /** Requests that would have left the machine (refused). */
  readonly outside: string[] = [];
  /** Console lines reporting a Content-Security-Policy violation. */
  readonly cspViolations: string[] = [];
  private browser!: Browser;
  private context!: BrowserContext;
  private server!: Server;
  private base = '';
  private hostScript = '';
  private readonly views = new Map<string, string>();
  private readonly pages = new Map<string, string>();
  private nextPage = 0;

  async start(): Promise<void> {
    const bundle = await build({
      entryPoints: [join(__dirname, 'views-host', 'host.ts')],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    this.hostScript = bundle.outputFiles[0].text.replace(/<\/(script)/gi, '<\\/$1');
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const [, kind, name] = url.pathname.split('/');
      const body =
        kind === 'view' ? this.views.get(name) : kind === 'host' ? this.pages.get(name) : undefined;
      if (body === undefined) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, {
        'Content-Type': 'text/html; charset=utf-8',
        'Cache-Control': 'no-store',
        ...(kind === 'view' ? { 'Content-Security-Policy': DEFAULT_APPS_CSP } : {}),
      });
      res.end(body);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
    });
    this.context = await this.browser.newContext();
    await this.context.route('**/*', (route) => {
      const url = route.request().url();
      this.requests.push(url);
      const { protocol, hostname } = new URL(url);
      const local =
        protocol === 'data:' ||
        protocol === 'about:' ||
        hostname === '127.0.0.1' ||
        hostname === 'localhost';
      if (local) return route.continue();
      this.outside.push(url);
      return route.abort('blockedbyclient');
    });
  }

  /** Serves a view's HTML document under the default MCP Apps policy. */
  serveView(name: string, html: string): void {
    this.views.set(name, html);
  }

  /**
   * Opens a host page that shows the view in a sandboxed frame and hands it the tool's input and
   * result; resolves once the view says what it shows (`data-state` on its body).
   */
  async show(
    name: string,
    fixture: Pick<ViewFixture, 'arguments' | 'result'>,
    options: { theme?: 'light' | 'dark'; width?: number } = {},
  ): Promise<ShownView> {
    const id = `p${this.nextPage++}`;
    const config = {
      viewUrl: `${this.base}/view/${name}`,
      title: `${name} view`,
      theme: options.theme ?? 'light',
      input: fixture.arguments,
      result: fixture.result,
    };
    this.pages.set(
      id,
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test host</title>' +
        `<style>body{margin:0;background:${config.theme === 'dark' ? '#000' : '#fff'}}</style></head><body>` +
        `<script id="host-config" type="application/json">${scriptJson(config)}</script>` +
        `<script>${this.hostScript}</script></body></html>`,
    );
    const page = await this.context.newPage();
    await page.setViewportSize({ width: options.width ?? 720, height: 900 });
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) this.cspViolations.push(message.text());
    });
    await page.goto(`${this.base}/host/${id}`);
    const view = page.frameLocator('iframe');
    await view.locator('body[data-state]:not([data-state="waiting"])').waitFor({ timeout: 15_000 });
    await this.untilSized(page, view);
    return { page, view };
  }

  /**
   * Waits until the host has given the frame the height the view asked for (the view reports it
   * after rendering; the host applies it a moment later).
   */
  async untilSized(page: Page, view: FrameLocator): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const frameHeight = await page
        .locator('iframe')
        .evaluate((f) => f.getBoundingClientRect().height);
      const viewHeight = await view
        .locator('body')
        .evaluate((body) => Math.ceil(body.getBoundingClientRect().height));
      if (Math.abs(frameHeight - viewHeight) < 1) return;
      if (Date.now() > deadline) {
        throw new Error(`The frame is ${frameHeight}px tall, the view ${viewHeight}px`);
      }
      await page.waitForTimeout(25);
    }
  }

  async close(): Promise<void> {
    await this.context?.close().catch(() => undefined);
    await this.browser?.close().catch(() => undefined);
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}

/** With VIEW_SCREENSHOTS=1 the specs photograph the views into docs/views. */
const SCREENSHOTS = process.env.VIEW_SCREENSHOTS
  ? join(__dirname, '..', '..', 'docs', 'views')
  : null;

export interface ViewsSuite {
  browser: ViewsBrowser;
  /** Saves a screenshot of the page as docs/views/<name>.png when VIEW_SCREENSHOTS is set. */
  photograph(name: string, shown: ShownView): Promise<void>;
  /** The view's visible text, white space collapsed. */
  text(shown: ShownView): Promise<string>;
}

/**
 * Sets up a views spec: the app on loopback, each view read over MCP exactly as the server serves
 * it, and the browser. After the spec, every request the browser made must have stayed on
 * loopback, and no view may have broken the content security policy. Without Chromium the spec
 * is skipped (outside CI) or fails, naming what is missing.
 */
export function describeViews(title: string, body: (suite: ViewsSuite) => void): void {
  if (!hasChromium && !process.env.CI) {
    process.stderr.write(
      `Skipping "${title}": ${CHROMIUM} is missing (install Debian's "chromium" package, or set CHROMIUM_PATH).\n`,
    );
  }
  (hasChromium || process.env.CI ? describe : describe.skip)(title, () => {
    let running: RunningApp;
    let connected: ConnectedClient;
    const browser = new ViewsBrowser();

    beforeAll(async () => {
      if (!hasChromium)
        throw new Error(`${CHROMIUM} is missing: install Debian's "chromium" package`);
      running = await startApp();
      connected = await connectClient('streamable-2026', { url: running.url });
      await browser.start();
      for (const view of VIEWS) {
        const read = (await connected.client.readResource({ uri: view.uri })) as ReadResourceResult;
        browser.serveView(view.name, (read.contents[0] as { text: string }).text);
      }
      if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
    }, 60_000);
    afterAll(async () => {
      await browser.close();
      await connected?.close();
      await running?.close();
      // Checked last, over every page the spec opened.
      expect(browser.outside).toEqual([]);
      expect(browser.cspViolations).toEqual([]);
      expect(browser.requests.length).toBeGreaterThan(0);
      for (const url of browser.requests) expect(new URL(url).hostname).toBe('127.0.0.1');
    });

    body({
      browser,
      photograph: async (name, shown) => {
        if (!SCREENSHOTS) return;
        // A frame is painted only where the window is: the window grows to the whole page first,
        // and the view paints once more before the picture.
        const { width } = shown.page.viewportSize()!;
        const height = await shown.page.locator('html').evaluate((html) => html.scrollHeight);
        await shown.page.setViewportSize({ width, height });
        await shown.view
          .locator('html')
          .evaluate(
            (html) =>
              new Promise((painted) =>
                html.ownerDocument.defaultView!.requestAnimationFrame(() =>
                  html.ownerDocument.defaultView!.requestAnimationFrame(painted),
                ),
              ),
          );
        await shown.page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
      },
      text: async (shown) => (await shown.view.locator('main').innerText()).replace(/\s+/g, ' '),
    });
  });
}
