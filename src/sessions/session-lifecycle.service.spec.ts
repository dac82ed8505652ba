import { sweepPeriodMs } from './session-lifecycle.service';

describe('sweepPeriodMs', () => {
  it('checks at a quarter of the idle timeout and half the hibernation delay, within 1–30 s', () => {
    expect(sweepPeriodMs({ idleTimeoutSeconds: 3600, hibernateAfterSeconds: 30 })).toBe(15_000);
    expect(sweepPeriodMs({ idleTimeoutSeconds: 3600, hibernateAfterSeconds: 5 })).toBe(2_500);
    expect(sweepPeriodMs({ idleTimeoutSeconds: 20, hibernateAfterSeconds: 30 })).toBe(5_000);
    expect(sweepPeriodMs({ idleTimeoutSeconds: 3600, hibernateAfterSeconds: 0 })).toBe(30_000);
    expect(sweepPeriodMs({ idleTimeoutSeconds: 2, hibernateAfterSeconds: 1 })).toBe(1_000);
  });
});
