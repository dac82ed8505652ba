import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { withRequestStateKey } from './redis';

export const MAIN_JS = join(__dirname, '..', '..', 'dist', 'main.js');

export interface SpawnedServer {
  process: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  /** Sends SIGTERM and resolves with how the process ended. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ExitedProcess {
  code: number | null;
  stdout: string;
  stderr: string;
}

function assertBuilt(): void {
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run "npm run build" first`);
}

/** Resolves with how a child process ended (at once if it already has). */
export function exited(child: ChildProcess) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode });
    } else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** Runs dist/main.js with only the given environment (plus PATH), collecting its output. */
function startMain(env: NodeJS.ProcessEnv, args: string[] = []) {
  assertBuilt();
  const child = spawn(process.execPath, [MAIN_JS, ...args], {
    env: { PATH: process.env.PATH, ...withRequestStateKey(env) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk: Buffer) => (output.stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output.stderr += chunk.toString('utf8')));
  return { child, output };
}

/** Starts the production build on a random port and waits for it to say where it listens. */
export function spawnServer(env: NodeJS.ProcessEnv, args: string[] = []): Promise<SpawnedServer> {
  const { child, output } = startMain({ PORT: '0', ...env }, args);
  return new Promise((resolve, reject) => {
    const onData = () => {
      const match = /Listening on (http:\/\/[^\s,"]+)/.exec(output.stdout + output.stderr);
      if (!match) return;
      child.stdout!.off('data', onData);
      child.stderr!.off('data', onData);
      resolve({
        process: child,
        url: match[1],
        stdout: () => output.stdout,
        stderr: () => output.stderr,
        stop: () => {
          child.kill('SIGTERM');
          return exited(child);
        },
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) =>
      reject(
        new Error(
          `server exited with ${code} before listening:\n${output.stdout}\n${output.stderr}`,
        ),
      ),
    );
  });
}

/** Runs the production build to completion (for start-up failures). */
export async function runServerToExit(env: NodeJS.ProcessEnv): Promise<ExitedProcess> {
  const { child, output } = startMain(env);
  const { code } = await exited(child);
  return { code, ...output };
}
