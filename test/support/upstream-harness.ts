import { Test, TestingModule } from '@nestjs/testing';
import { AareguruClient } from '../../src/aareguru/aareguru.client';
import { AareguruHealthIndicator } from '../../src/aareguru/aareguru.health';
import { AareguruModule } from '../../src/aareguru/aareguru.module';
import { AareguruService } from '../../src/aareguru/aareguru.service';
import { CLOCK } from '../../src/common/clock';
import { CommonModule } from '../../src/common/common.module';
import { AppConfigModule } from '../../src/config/app-config.module';
import { MetricsModule } from '../../src/metrics/metrics.module';
import { RedisModule } from '../../src/redis/redis.module';
import { FakeAareguru } from '../fake-upstream/fake-aareguru';
import { ManualClock } from './manual-clock';

export interface UpstreamHarness {
  fake: FakeAareguru;
  clock: ManualClock;
  module: TestingModule;
  service: AareguruService;
  client: AareguruClient;
  health: AareguruHealthIndicator;
  close(): Promise<void>;
}

/** The Aareguru module wired as in the app, against a fresh fake upstream on a random port. */
export async function startUpstreamHarness(env: NodeJS.ProcessEnv = {}): Promise<UpstreamHarness> {
  const fake = new FakeAareguru();
  const baseUrl = await fake.start();
  const clock = new ManualClock(Date.now());
  const module = await Test.createTestingModule({
    imports: [
      AppConfigModule.forRoot({ env: { AAREGURU_BASE_URL: baseUrl, LOG_LEVEL: 'silent', ...env } }),
      CommonModule.forRoot(),
      MetricsModule,
      RedisModule,
      AareguruModule,
    ],
  })
    .overrideProvider(CLOCK)
    .useValue(clock)
    .compile();
  await module.init();
  return {
    fake,
    clock,
    module,
    service: module.get(AareguruService),
    client: module.get(AareguruClient),
    health: module.get(AareguruHealthIndicator),
    close: async () => {
      await module.close();
      await fake.stop();
    },
  };
}
