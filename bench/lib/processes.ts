import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { head } from '../../test/support/log-file';
import { dirname, join } from 'node:path';

export interface Started {
  name: string;
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
  /** The first 64 KB the server wrote to stdout and stderr (its start-up lines). */
  output(): string;
}

let tasksetAvailable: boolean | undefined;

/** Pins a process to one core where `taskset` exists, so server and load generator do not compete. */
export function pinned(cpu: number, command: string, args: string[]): [string, string[]] {
  tasksetAvailable ??= (() => {
    try {
      execFileSync('taskset', ['-c', '0', 'true']);
      return true;
    } catch {
      return false;
    }
  })();
  return tasksetAvailable ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args];
}

export function pinLoadGenerator(cpu: number): void {
  try {
    execFileSync('taskset', ['-pc', String(cpu), String(process.pid)], { stdio: 'ignore' });
  } catch {
    // no taskset: run unpinned
  }
}

/**
 * Starts a server process and waits until it logs where it listens. Its output goes straight to
 * a file, as a container runtime's log collector would take it: a pipe read by this (busy) load
 * generator would fill up and slow the server's logging down. `BENCH_SERVER_LOG` keeps the files.
 * `cwd` is where the server runs (a baseline checkout runs in its own); by default, here.
 */
export async function startServer(
  name: string,
  script: string[],
  env: NodeJS.ProcessEnv,
  cpu = 0,
  cwd?: string,
): Promise<Started> {
  const keep = process.env.BENCH_SERVER_LOG;
  const logFile = keep
    ? `${keep}.${name.replace(/\W+/g, '-')}.${Date.now()}.log`
    : join(mkdtempSync(join(tmpdir(), 'bench-server-')), 'output.log');
  const fd = openSync(logFile, 'w');
  const [command, args] = pinned(cpu, process.execPath, script);
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH, ...env },
    cwd,
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`${name} exited with ${code}:\n${head(logFile)}`)),
    ),
  );
  exited.catch(() => undefined);
  const url = await Promise.race([listeningUrl(logFile), exited]);
  const stop = () =>
    new Promise<void>((done) => {
      const finish = () => {
        if (!keep) rmSync(dirname(logFile), { recursive: true, force: true });
        done();
      };
      if (child.exitCode !== null || child.signalCode !== null) return finish();
      child.once('exit', finish);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
    });
  const output = () => head(logFile);
  return { name, url, pid: child.pid!, child, stop, output };
}

/** Polls the server's output until it names the URL it listens on. */
async function listeningUrl(logFile: string): Promise<string> {
  for (;;) {
    const match = /Listening on (http:\/\/[^\s,"]+)/.exec(head(logFile));
    if (match) return match[1].replace('[::1]', '127.0.0.1');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resident memory of a process, in bytes, from /proc. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : NaN;
}

/**
 * A full garbage collection in a server started with `--inspect=127.0.0.1:0`, through its
 * inspector (the URL it logs at start): what is measured afterwards is live memory, not garbage
 * the collector has not got round to. Node 20 needs `--experimental-websocket` for this.
 */
export async function collectGarbage(server: Pick<Started, 'name' | 'output'>): Promise<void> {
  const url = /Debugger listening on (ws:\/\/\S+)/.exec(server.output())?.[1];
  if (!url) throw new Error(`${server.name} did not open its inspector`);
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  await new Promise((resolve) => {
    socket.onmessage = (event: { data: unknown }) => {
      if (String(event.data).includes('"id":1')) resolve(undefined);
    };
    socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
  });
  socket.close();
}

/** This process's open-file limit (soft), from /proc; Infinity where it cannot be read. */
export function openFileLimit(): number {
  try {
    const line = /Max open files\s+(\S+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    return line && line[1] !== 'unlimited' ? Number(line[1]) : Infinity;
  } catch {
    return Infinity;
  }
}
