import { checkingIntervalMs } from './bounded-express.adapter';

describe('checkingIntervalMs', () => {
  it('checks timeouts at a quarter of the shorter one, between 250 ms and 30 s', () => {
    expect(checkingIntervalMs(10_000, 30_000)).toBe(2_500);
    expect(checkingIntervalMs(1_000, 2_000)).toBe(250);
    expect(checkingIntervalMs(500, 500)).toBe(250);
    expect(checkingIntervalMs(600_000, 3_600_000)).toBe(30_000);
  });
});
