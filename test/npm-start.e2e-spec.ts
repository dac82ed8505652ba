import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { FakeAareguru } from './fake-upstream/fake-aareguru';
import { eventually } from './support/eventually';
import { freePort } from './support/redis';
import { exited, MAIN_JS } from './support/spawn-server';

/**
 * A process manager that runs `npm start` stops the server by signalling npm: the signal must
 * reach Node, so that the drain runs, the port closes and everything exits 0. The build already
 * exists here, so `--ignore-scripts` skips the `prestart` build and runs the real `start` script.
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

describe('npm start under a process manager', () => {
  let fake: FakeAareguru;
  let npm: ChildProcess | undefined;
  let serverPids: number[] = [];

  beforeEach(async () => {
    fake = new FakeAareguru();
    await fake.start();
  });

  afterEach(async () => {
    // Whatever the outcome, leave no server behind.
    for (const pid of serverPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    if (npm && npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
    await fake.stop();
  });

  it('SIGTERM to npm reaches Node: the drain runs, the server is gone, npm exits 0', async () => {
    if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run "npm run build" first`);
    const port = await freePort();
    npm = spawn('npm', ['start', '--ignore-scripts'], {
      cwd: ROOT,
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
    const ended = exited(npm);

    await eventually(async () => {
      const live = await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => undefined);
      return live?.status === 200;
    }, 15000);
    serverPids = serverPidsUnder(npm.pid!);
    expect(serverPids).toHaveLength(1);

    npm.kill('SIGTERM');
    const npmExit = await ended;
    const serverGone = async () => !alive(serverPids[0]) && !(await portOpen(port));
    await eventually(serverGone, 5000).catch(() => undefined);
    expect({
      npmExit,
      serverRunning: alive(serverPids[0]),
      portOpen: await portOpen(port),
    }).toEqual({ npmExit: { code: 0, signal: null }, serverRunning: false, portOpen: false });
    // The graceful shutdown ran rather than the process being cut off.
    expect(output).toContain('SIGTERM: draining');
    expect(output).toContain('"msg":"stopped"');
  }, 30000);
});
