// Builds the MCP Apps views: each entry in src/views/web/entries is bundled by esbuild with the
// shared stylesheet into one self-contained HTML document in dist/views (no outside script, style
// or font), and each document's size is reported.
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'src/views/web');
const out = join(root, 'dist/views');
const catalogue = JSON.parse(readFileSync(join(root, 'src/views/catalogue.json'), 'utf8'));

const escapeHtml = (text) =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

/** The shared stylesheet, then the view's own (src/views/web/<name>.css) when it has one. */
async function stylesOf(name) {
  const files = [join(web, 'styles.css'), join(web, `${name}.css`)].filter(existsSync);
  const { outputFiles } = await build({
    stdin: {
      contents: files.map((f) => `@import ${JSON.stringify(f)};`).join('\n'),
      loader: 'css',
      resolveDir: web,
    },
    bundle: true,
    minify: true,
    write: false,
    logLevel: 'warning',
  });
  // A style element ends at the first "</style": none may appear inside the rules.
  return outputFiles[0].text.trim().replace(/<\/(style)/gi, '<\\/$1');
}

mkdirSync(out, { recursive: true });
const sizes = [];
for (const view of catalogue) {
  const css = await stylesOf(view.name);
  const { outputFiles } = await build({
    entryPoints: [join(web, 'entries', `${view.name}.ts`)],
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    legalComments: 'none',
    charset: 'utf8',
    write: false,
    logLevel: 'warning',
  });
  // A script element ends at the first "</script": none may appear inside the code.
  const js = outputFiles[0].text.trim().replace(/<\/(script)/gi, '<\\/$1');
  const html =
    '<!doctype html>\n' +
    '<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    `<title>${escapeHtml(view.title)}</title>\n<style>${css}</style>\n</head>\n<body>\n` +
    // Not a live region: a screen reader reads the view when the person moves to it, rather
    // than all of it at once when the data arrive; the waiting line is a status of its own.
    '<main id="app"><p class="muted" role="status">Waiting for aare.guru data…</p></main>\n' +
    `<script>${js}</script>\n</body>\n</html>\n`;
  writeFileSync(join(out, `${view.name}.html`), html);
  const bytes = Buffer.byteLength(html);
  sizes.push({ view: view.name, bytes, gzip: gzipSync(html).length });
}
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
for (const { view, bytes, gzip } of sizes) {
  console.log(`views: ${view.padEnd(10)} ${kb(bytes).padStart(9)}  (${kb(gzip)} gzipped)`);
}
