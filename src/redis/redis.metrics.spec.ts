import { Gauge } from 'prom-client';
import { RedisEnabledMetric } from './redis.metrics';

describe('RedisEnabledMetric', () => {
  async function enabledWith(url: string | null): Promise<number> {
    const gauge = new Gauge({ name: 'redis_enabled_spec', help: 'spec', registers: [] });
    new RedisEnabledMetric({ url }, gauge).onModuleInit();
    return (await gauge.get()).values[0].value;
  }

  it('is 1 with REDIS_URL and 0 without, so a replica on its own is not taken for one that lost Redis', async () => {
    expect(await enabledWith('redis://127.0.0.1:6379')).toBe(1);
    expect(await enabledWith(null)).toBe(0);
  });
});
