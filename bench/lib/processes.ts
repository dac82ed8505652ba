import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';

export interface Started {
  name: string;
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
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

/** Starts a server process and waits until it prints where it listens. */
export function startServer(
  name: string,
  script: string[],
  env: NodeJS.ProcessEnv,
  cpu = 0,
): Promise<Started> {
  const [command, args] = pinned(cpu, process.execPath, script);
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /Listening on (http:\/\/[^\s,"]+)/.exec(output);
      if (!match) return;
      child.stdout!.off('data', onData);
      // Keep draining the pipes (a full pipe would block the server); keep the output if asked.
      const keep = process.env.BENCH_SERVER_LOG;
      const sink = keep
        ? createWriteStream(`${keep}.${name.replace(/\W+/g, '-')}.${child.pid}.log`)
        : null;
      for (const stream of [child.stdout!, child.stderr!]) {
        if (sink) stream.pipe(sink);
        else stream.resume();
      }
      resolve({
        name,
        url: match[1].replace('[::1]', '127.0.0.1'),
        pid: child.pid!,
        child,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
            setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
          }),
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}:\n${output}`)));
  });
}

/** Resident memory of a process, in bytes, from /proc. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) * 1024 : NaN;
}
