import type { Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createHttpApp } from '../../src/app.setup';
import type { Clock, Timers } from '../../src/common/clock';
import { loadConfiguration } from '../../src/config/configuration';
import { FakeAareguru } from '../fake-upstream/fake-aareguru';
import { withRequestStateKey } from './redis';

export interface RunningApp {
  app: NestExpressApplication;
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  fake: FakeAareguru;
  close(): Promise<void>;
}

/**
 * The HTTP app as deployed (same factory as main.ts), on a random loopback port, against a fresh
 * fake upstream (or the one given). `clock` and `timers` replace the system's.
 */
export async function startApp(
  env: NodeJS.ProcessEnv = {},
  fake: FakeAareguru = new FakeAareguru(),
  clock?: Clock,
  surface?: Type,
  timers?: Timers,
): Promise<RunningApp> {
  const ownsFake = !fakeIsRunning(fake);
  const baseUrl = ownsFake ? await fake.start() : fake.baseUrl;
  const app = await createHttpApp(
    loadConfiguration(
      withRequestStateKey({ AAREGURU_BASE_URL: baseUrl, LOG_LEVEL: 'silent', PORT: '0', ...env }),
    ),
    { clock, timers, surface },
  );
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  let closing: Promise<void> | undefined;
  return {
    app,
    url,
    fake,
    // Idempotent: a test may shut the app down itself before the usual teardown.
    close: () =>
      (closing ??= (async () => {
        await app.close();
        if (ownsFake) await fake.stop();
      })()),
  };
}

function fakeIsRunning(fake: FakeAareguru): boolean {
  try {
    return Boolean(fake.baseUrl);
  } catch {
    return false;
  }
}
