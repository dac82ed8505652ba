import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/client';
import { FakeAareguru } from './fake-upstream/fake-aareguru';
import { connectClient } from './support/mcp-clients';
import { eventually } from './support/eventually';
import { freePort } from './support/redis';
import { exited, MAIN_JS } from './support/spawn-server';

/**
 * A process manager that runs `npm start` stops the server by signalling npm, a terminal by
 * signalling npm and the server alike: either way the drain must run, once, the port close and
 * everything exit 0. The build already exists here, so `--ignore-scripts` skips the `prestart`
 * build and runs the real `start` script.
 */

const ROOT = join(__dirname, '..');

/** The parent pid of every process, from /proc (Linux). */
function parentPids(): Map<number, number> {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ")".
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // The process ended while we looked.
    }
  }
  return parents;
}

/** The descendants of `pid` whose command line runs the production build. */
function serverPidsUnder(pid: number): number[] {
  const parents = parentPids();
  const below = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [child, parent] of parents) {
      if (below.has(parent) && !below.has(child)) {
        below.add(child);
        grew = true;
      }
    }
  }
  below.delete(pid);
  return [...below].filter((child) => {
    try {
      // An argument of its own: a shell running "… && node dist/main.js" is not the server.
      return readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0').includes('dist/main.js');
    } catch {
      return false;
    }
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface NpmStart {
  npm: ChildProcess;
  port: number;
  serverPid: number;
  output: () => string;
}

describe('npm start', () => {
  let fake: FakeAareguru;
  /** What the test started, recorded as soon as it exists, for the clean-up. */
  let npm: ChildProcess | undefined;
  let serverPid: number | undefined;

  beforeEach(async () => {
    fake = new FakeAareguru();
    await fake.start();
  });

  afterEach(async () => {
    // Whatever the outcome, leave no server behind.
    const servers = npm?.pid ? serverPidsUnder(npm.pid) : [];
    for (const pid of [...servers, serverPid ?? 0])
      if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
    if (npm && npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
    npm = serverPid = undefined;
    await fake.stop();
  });

  /**
   * Runs `npm start` until the server answers. `ownGroup` puts npm in a process group of its own,
   * as a terminal does with a foreground job, so that the whole group can be signalled.
   */
  async function npmStart(ownGroup = false): Promise<NpmStart> {
    if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run "npm run build" first`);
    const port = await freePort();
    npm = spawn('npm', ['start', '--ignore-scripts'], {
      cwd: ROOT,
      detached: ownGroup,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        npm_config_update_notifier: 'false',
        HOST: '127.0.0.1',
        PORT: String(port),
        AAREGURU_BASE_URL: fake.baseUrl,
        LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    npm.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    await eventually(async () => {
      const live = await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => undefined);
      return live?.status === 200;
    }, 15000);
    const serverPids = serverPidsUnder(npm.pid!);
    serverPid = serverPids[0];
    expect(serverPids).toHaveLength(1);
    return { npm, port, serverPid, output: () => output };
  }

  /** How npm ended, and whether the server outlived it. */
  async function outcome(run: NpmStart) {
    const npmExit = await exited(run.npm);
    const serverGone = async () => !alive(run.serverPid) && !(await portOpen(run.port));
    await eventually(serverGone, 5000).catch(() => undefined);
    return { npmExit, serverRunning: alive(run.serverPid), portOpen: await portOpen(run.port) };
  }

  const CLEAN_EXIT = { npmExit: { code: 0, signal: null }, serverRunning: false, portOpen: false };

  it('SIGTERM to npm (a process manager) reaches Node: the drain runs, npm exits 0', async () => {
    const run = await npmStart();
    run.npm.kill('SIGTERM');
    expect(await outcome(run)).toEqual(CLEAN_EXIT);
    // The graceful shutdown ran rather than the process being cut off.
    expect(run.output()).toContain('SIGTERM: draining');
    expect(run.output()).toContain('"msg":"stopped"');
  }, 30000);

  it('Ctrl-C reaches the server twice (the terminal, then npm): it drains once and exits 0', async () => {
    const run = await npmStart(true);
    const url = `http://127.0.0.1:${run.port}`;
    const mcp = await connectClient('streamable-2025', { url });
    // A call in flight for 1.5 s keeps the drain going while the second SIGINT arrives.
    fake.inject({
      fault: { kind: 'slow', delayMs: 1500 },
      path: '/v2018/current',
      city: 'thun',
      times: 1,
    });
    const call = mcp.client.callTool({
      name: 'get_current_temperature',
      arguments: { city: 'thun' },
    }) as Promise<CallToolResult>;
    await eventually(() => fake.count('/v2018/current', 'thun') === 1);

    // What a terminal does on Ctrl-C: SIGINT to the foreground group, npm and the server alike.
    process.kill(-run.npm.pid!, 'SIGINT');
    await eventually(async () => (await fetch(`${url}/health/ready`)).status === 503);
    // npm passes its own copy on; here it surely lands while the drain is under way.
    process.kill(run.serverPid, 'SIGINT');

    expect((await call).isError).toBeFalsy();
    expect(await outcome(run)).toEqual(CLEAN_EXIT);
    expect(run.output().match(/SIGINT: draining/g)).toHaveLength(1);
    expect(run.output()).toContain('"msg":"stopped"');
    await mcp.close().catch(() => undefined);
  }, 30000);
});
