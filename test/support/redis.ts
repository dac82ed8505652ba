import Redis from 'ioredis';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The Redis the suites use: REDIS_URL when set (bash .ci/run sets it), else the local default. */
export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

/**
 * Every server a test starts with Redis signs the state of its questions with this key, as the
 * replicas of a deployment share theirs (REQUEST_STATE_KEY is required with REDIS_URL).
 */
export const TEST_REQUEST_STATE_KEY = 'test-request-state-key-0123456789abcdef';

/** `env` with the shared request-state key when it names a Redis and no key of its own. */
export function withRequestStateKey(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return env.REDIS_URL && !env.REQUEST_STATE_KEY
    ? { ...env, REQUEST_STATE_KEY: TEST_REQUEST_STATE_KEY }
    : env;
}

const HOW_TO_GET_REDIS =
  'The Redis suites need a Redis server: run one on 127.0.0.1:6379 (Debian: apt-get install redis-server), ' +
  'or set REDIS_URL; bash .ci/run starts one on a free port when redis-server is installed.';

/** Fails with a message saying how to get Redis when none answers: these suites never skip. */
export async function requireRedis(url = REDIS_URL): Promise<void> {
  try {
    await ping(url);
  } catch (error) {
    throw new Error(
      `No Redis answers at ${url} (${(error as Error).message}). ${HOW_TO_GET_REDIS}`,
    );
  }
}

/** One PING over a plain socket: nothing (no client, no reconnection timer) outlives it. */
function ping(url: string): Promise<void> {
  const { hostname, port, username, password } = new URL(url);
  const auth = password
    ? `AUTH ${username ? `${decodeURIComponent(username)} ` : ''}${decodeURIComponent(password)}\r\n`
    : '';
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname || '127.0.0.1', port: Number(port || 6379) });
    let answer = '';
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(2000, () => fail(new Error('no answer within 2 s')));
    socket.on('error', fail);
    socket.on('connect', () => socket.write(`${auth}PING\r\n`));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('+PONG')) {
        socket.destroy();
        resolve();
      } else if (answer.includes('-')) fail(new Error(answer.trim()));
    });
  });
}

/** A key prefix of its own for one test (or suite), so runs never see each other's keys. */
export function uniquePrefix(name = 'test'): string {
  return `aareguru-mcp-test:${name}:${randomBytes(4).toString('hex')}:`;
}

/** A plain client for a test to look at or change what the server keeps. */
export function redisClient(url = REDIS_URL): Redis {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  return client;
}

/** Keys under a prefix, for assertions. */
export async function keysUnder(client: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/** Removes every key a test left under its prefix. */
export async function deletePrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const client = redisClient(url);
  try {
    const keys = await keysUnder(client, prefix);
    for (let i = 0; i < keys.length; i += 500) await client.unlink(...keys.slice(i, i + 500));
  } finally {
    client.disconnect();
  }
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface PrivateRedis {
  url: string;
  port: number;
  /** Stops the server (SIGTERM, or SIGKILL with `kill`). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port (empty: it keeps nothing on disk). */
  start(): Promise<void>;
  /** Stops it for good and removes its directory. */
  dispose(): Promise<void>;
}

/**
 * A Redis server of the test's own on a free port, for tests that stop and restart it; needs
 * `redis-server` on the PATH.
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const dir = mkdtempSync(join(tmpdir(), 'aareguru-redis-'));
  let child: ChildProcess | undefined;

  const start = async () => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    );
    const failed = new Promise<never>((_, reject) => {
      child!.once('error', (error) =>
        reject(new Error(`cannot start redis-server (${error.message}). ${HOW_TO_GET_REDIS}`)),
      );
    });
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        await Promise.race([requireRedis(url), failed]);
        return;
      } catch (error) {
        if (Date.now() > deadline || /cannot start/.test((error as Error).message)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(signal);
    await exited;
  };
  await start();
  return {
    url,
    port,
    start,
    stop,
    dispose: async () => {
      await stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
