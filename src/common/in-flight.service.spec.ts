import { InFlightService } from './in-flight.service';

describe('InFlightService', () => {
  it('is idle at once when nothing runs', async () => {
    await expect(new InFlightService().idle(1000)).resolves.toBe(true);
  });

  it('waits for running work, and gives up after the timeout', async () => {
    const inFlight = new InFlightService();
    let finish!: () => void;
    const work = inFlight.track(() => new Promise<void>((resolve) => (finish = resolve)));
    expect(inFlight.active).toBe(1);
    await expect(inFlight.idle(10)).resolves.toBe(false);
    const idle = inFlight.idle(10_000);
    finish();
    await work;
    await expect(idle).resolves.toBe(true);
    expect(inFlight.active).toBe(0);
  });

  it('counts failed work as finished', async () => {
    const inFlight = new InFlightService();
    await expect(inFlight.track(() => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(inFlight.active).toBe(0);
  });
});
