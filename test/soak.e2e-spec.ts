import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { MAIN_JS } from './support/spawn-server';

const ROOT = join(__dirname, '..');

/**
 * A short soak of the production build: a few hundred calls per client over every transport,
 * a reconnection storm and a slow-upstream phase. Only what noise cannot flip is asserted (no
 * errors, sessions back to zero, no heap growth); timings are printed, never judged here.
 */
describe('Soak (short)', () => {
  it('keeps every call working and leaks no session', async () => {
    expect(MAIN_JS).toBeTruthy();
    const child = spawn(
      process.execPath,
      [
        // WebSocket (to reach the server's inspector) is behind a flag on Node 20.
        '--experimental-websocket',
        join(ROOT, 'node_modules', 'ts-node', 'dist', 'bin.js'),
        '--transpile-only',
        join(ROOT, 'bench', 'soak.ts'),
        '--clients',
        '12',
        '--minutes',
        '0.5',
        '--stable-only',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    process.stdout.write(
      `${output
        .split('\n')
        .filter((l) => /^(Soak|PASS|FAIL|INFO|Errors|streamable|sse)/.test(l))
        .join('\n')}\n`,
    );
    expect({ code, output: output.slice(-2000) }).toMatchObject({ code: 0 });
    expect(output).toMatch(/PASS {2}zero errors/);
    expect(output).toMatch(/PASS {2}sessions back to zero: 0 open/);
    expect(output).toMatch(/PASS {2}no heap growth/);
  }, 120_000);
});
