import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { cpus as cpuList, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeAareguru } from '../fake-upstream/fake-aareguru';
import { deletePrefix, freePort, REDIS_URL, uniquePrefix, withRequestStateKey } from './redis';
import { head } from './log-file';
import { RoundRobinProxy, statusOf, type ProxyOptions } from './round-robin-proxy';
import { exited, MAIN_JS } from './spawn-server';

export { RoundRobinProxy } from './round-robin-proxy';

/**
 * N replicas of the production build (dist/main.js) as child processes, sharing one Redis (a key
 * prefix of their own, cleaned up at the end) and one fake upstream, each with its own REPLICA_ID
 * and, where `taskset` exists, its own core. A replica can be killed (SIGKILL or SIGTERM) and
 * started again, on a new port or the same one; `proxy()` puts a round-robin proxy in front so
 * clients see one URL. Used by the e2e specs and by `npm run bench|soak -- --replicas N`.
 */
export interface ReplicaSetOptions {
  count: number;
  /** Environment of every replica, on top of what the set gives each (see `replicaEnv`). */
  env?: NodeJS.ProcessEnv;
  /** The Redis they share; null: none, each keeps its own state (as without REDIS_URL). */
  redisUrl?: string | null;
  /** Default: a fresh unique prefix. Its keys are deleted by `stop()` either way. */
  keyPrefix?: string;
  /** The upstream they share; default: a fake of the set's own, stopped by `stop()`. */
  fake?: FakeAareguru;
  /**
   * The core of each replica: replica i runs on cpus[i]. Default: replica i on core i modulo the
   * number of cores. false: no pinning.
   */
  cpus?: number[] | false;
  /** Node options before the script, e.g. ['--inspect=127.0.0.1:0']. */
  nodeArgs?: string[];
  /** The build to run (default this checkout's dist/main.js) and where. */
  main?: string;
  cwd?: string;
  /** Keep each replica's output in `${keepLogs}.<replica id>.log` instead of a temporary file. */
  keepLogs?: string;
  /** How long a replica may take to answer /health/ready (default 60 s: a busy machine is slow). */
  readyTimeoutMs?: number;
}

export interface Replica {
  index: number;
  /** REPLICA_ID: r<index>, then r<index>.<n> after the n-th restart. */
  id: string;
  /** A name for reports and for bench/lib/processes (garbage collection through the inspector). */
  name: string;
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** The core it is pinned to, when it is. */
  cpu?: number;
  restarts: number;
  /** The first 64 KB of its output (start-up lines, the inspector's URL). */
  output(): string;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

let tasksetWorks: boolean | undefined;

function canPin(): boolean {
  tasksetWorks ??= (() => {
    try {
      execFileSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  return tasksetWorks;
}

export class ReplicaSet {
  readonly replicas: Replica[] = [];
  /** What was done about cores, in words, for reports. */
  readonly pinning: string;
  private readonly proxies: RoundRobinProxy[] = [];
  private readonly logDirs: string[] = [];
  private stopped = false;

  private constructor(
    private readonly options: ReplicaSetOptions,
    readonly fake: FakeAareguru,
    private readonly ownsFake: boolean,
    readonly redisUrl: string | null,
    readonly keyPrefix: string,
    private readonly cpus: (number | undefined)[],
  ) {
    const pinned = cpus.filter((c) => c !== undefined);
    this.pinning =
      options.cpus === false
        ? 'not pinned (asked not to)'
        : !canPin()
          ? 'not pinned: taskset is not available'
          : cpus.map((c, i) => `replica ${i} on core ${c}`).join(', ') +
            (new Set(pinned).size < pinned.length
              ? ` (${cpuList().length} cores: replicas share a core)`
              : '');
  }

  static async start(options: ReplicaSetOptions): Promise<ReplicaSet> {
    const main = options.main ?? MAIN_JS;
    if (!existsSync(main)) throw new Error(`${main} is missing: run "npm run build" first`);
    const ownsFake = !options.fake;
    const fake = options.fake ?? new FakeAareguru();
    if (ownsFake) await fake.start();
    const redisUrl = options.redisUrl === undefined ? REDIS_URL : options.redisUrl;
    const cores = cpuList().length;
    const cpus = Array.from({ length: options.count }, (_, i) =>
      options.cpus === false || !canPin() ? undefined : (options.cpus?.[i] ?? i % cores),
    );
    const set = new ReplicaSet(
      options,
      fake,
      ownsFake,
      redisUrl,
      options.keyPrefix ?? uniquePrefix('replicas'),
      cpus,
    );
    // Every replica that did start is stopped again if another one fails to.
    const started = await Promise.allSettled(cpus.map((_, index) => set.launch(index, 0)));
    for (const result of started) {
      if (result.status === 'fulfilled') set.replicas.push(result.value);
    }
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) {
      await set.stop();
      throw failed.reason;
    }
    return set;
  }

  /** The replicas' current URLs (a restarted one's new URL included). */
  urls(): string[] {
    return this.replicas.map((r) => r.url);
  }

  /** A round-robin proxy in front of the set, following restarts; closed by `stop()`. */
  async proxy(options: Omit<ProxyOptions, 'targets'> = {}): Promise<RoundRobinProxy> {
    const proxy = await RoundRobinProxy.start({ ...options, targets: () => this.urls() });
    this.proxies.push(proxy);
    return proxy;
  }

  /** The environment replica `index` gets (the caller's env wins, except for PORT). */
  replicaEnv(index: number, restarts: number, port: number): NodeJS.ProcessEnv {
    return withRequestStateKey({
      PATH: process.env.PATH,
      AAREGURU_BASE_URL: this.fake.baseUrl,
      ...(this.redisUrl !== null && {
        REDIS_URL: this.redisUrl,
        REDIS_KEY_PREFIX: this.keyPrefix,
      }),
      REPLICA_ID: restarts === 0 ? `r${index}` : `r${index}.${restarts}`,
      ...this.options.env,
      HOST: '127.0.0.1',
      PORT: String(port),
    });
  }

  /** Stops a replica with a signal (SIGKILL: no chance to clean up) and waits until it is gone. */
  async kill(index: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
    const { child } = this.replicas[index];
    const exit = exited(child);
    child.kill(signal);
    return exit;
  }

  /**
   * Starts replica `index` again (after `kill`), on a new port unless `samePort`, and waits until
   * it is ready; the proxy picks the new URL up from `urls()`.
   */
  async restart(index: number, options: { samePort?: boolean } = {}): Promise<Replica> {
    const old = this.replicas[index];
    if (old.child.exitCode === null && old.child.signalCode === null) {
      throw new Error(`replica ${index} is still running: kill it first`);
    }
    const replica = await this.launch(
      index,
      old.restarts + 1,
      options.samePort ? old.port : undefined,
    );
    this.replicas[index] = replica;
    return replica;
  }

  /** Resident memory of a replica, in bytes (NaN once it has exited). */
  rssBytes(index: number): number {
    const { pid, child } = this.replicas[index];
    if (child.exitCode !== null || child.signalCode !== null) return NaN;
    try {
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      return kb ? Number(kb) * 1024 : NaN;
    } catch {
      return NaN;
    }
  }

  /** Stops the proxies and every replica (SIGTERM, then SIGKILL), deletes the set's Redis keys. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.allSettled(this.proxies.map((p) => p.close()));
    await Promise.allSettled(
      this.replicas.map(async ({ child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exit = exited(child);
        child.kill('SIGTERM');
        const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exit;
        clearTimeout(force);
      }),
    );
    if (this.redisUrl !== null) {
      await deletePrefix(this.keyPrefix, this.redisUrl).catch(() => undefined);
    }
    if (this.ownsFake) await this.fake.stop();
    if (!this.options.keepLogs) {
      for (const dir of this.logDirs) rmSync(dir, { recursive: true, force: true });
    }
  }

  private async launch(index: number, restarts: number, port?: number): Promise<Replica> {
    const chosenPort = port ?? (await freePort());
    const env = this.replicaEnv(index, restarts, chosenPort);
    const id = String(env.REPLICA_ID);
    const logFile = this.logFile(id);
    // Output goes to a file, as a container runtime collects it: a pipe that the (busy) caller
    // reads late would fill up and slow the replica's logging down.
    const fd = openSync(logFile, 'w');
    const cpu = this.cpus[index];
    const script = [...(this.options.nodeArgs ?? []), this.options.main ?? MAIN_JS];
    const [command, args] =
      cpu === undefined
        ? [process.execPath, script]
        : ['taskset', ['-c', String(cpu), process.execPath, ...script]];
    const child = spawn(command, args, {
      env,
      cwd: this.options.cwd,
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    const url = `http://127.0.0.1:${chosenPort}`;
    await untilReady(url, child, logFile, this.options.readyTimeoutMs ?? 60_000);
    return {
      index,
      id,
      name: `replica ${id}`,
      url,
      port: chosenPort,
      pid: child.pid!,
      child,
      cpu,
      restarts,
      output: () => head(logFile),
    };
  }

  private logFile(id: string): string {
    if (this.options.keepLogs) return `${this.options.keepLogs}.${id}.log`;
    const dir = mkdtempSync(join(tmpdir(), 'replica-'));
    this.logDirs.push(dir);
    return join(dir, 'output.log');
  }
}

/** Polls /health/ready until 200; fails with the replica's output if it exits or takes too long. */
async function untilReady(
  url: string,
  child: ChildProcess,
  logFile: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `replica at ${url} exited (${child.exitCode ?? child.signalCode}):\n${head(logFile)}`,
      );
    }
    if ((await statusOf(`${url}/health/ready`)) === 200) return;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`replica at ${url} was not ready in ${timeoutMs} ms:\n${head(logFile)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
