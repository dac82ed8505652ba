import { circuitBreaker, CircuitState, ConsecutiveBreaker, handleAll } from 'cockatiel';
import { AsyncLocalStorage } from 'node:async_hooks';
import { systemTimers } from '../common/clock';
import { ManualClock } from '../../test/support/manual-clock';
import type { CircuitStateName } from './aareguru.client';
import { CircuitProbe, ProbedCircuit } from './circuit-probe';

const HALF_OPEN_MS = 30_000;

/** A breaker reduced to what the probe sees: its state and its openings. */
class FakeCircuit implements ProbedCircuit {
  current: CircuitStateName = 'closed';
  private listeners: (() => void)[] = [];

  state(): CircuitStateName {
    return this.current;
  }

  onOpen(listener: () => void): () => void {
    this.listeners.push(listener);
    return () => (this.listeners = this.listeners.filter((other) => other !== listener));
  }

  open(): void {
    this.current = 'open';
    for (const listener of this.listeners) listener();
  }

  get subscribers(): number {
    return this.listeners.length;
  }
}

/** Lets the probe's promise chain run after the clock fired it. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('CircuitProbe', () => {
  let clock: ManualClock;
  let circuit: FakeCircuit;
  let trials: number;
  let outcome: 'recovers' | 'fails';
  let probe: CircuitProbe;

  beforeEach(() => {
    clock = new ManualClock();
    circuit = new FakeCircuit();
    trials = 0;
    outcome = 'recovers';
    probe = new CircuitProbe(
      circuit,
      () => {
        trials += 1;
        if (outcome === 'recovers') {
          circuit.current = 'closed';
          return Promise.resolve();
        }
        circuit.open();
        return Promise.reject(new Error('HTTP 500'));
      },
      HALF_OPEN_MS,
      clock,
    );
  });

  afterEach(() => probe.onModuleDestroy());

  it('schedules nothing while the circuit is closed', async () => {
    clock.advance(10 * HALF_OPEN_MS);
    await settle();
    expect(clock.pending).toBe(0);
    expect(trials).toBe(0);
  });

  it('runs one trial once the half-open interval has passed after the circuit opened', async () => {
    circuit.open();
    clock.advance(HALF_OPEN_MS - 1);
    await settle();
    expect(trials).toBe(0);
    clock.advance(1);
    await settle();
    expect(trials).toBe(1);
    expect(circuit.state()).toBe('closed');
    expect(clock.pending).toBe(0);
    // Closed again: no further trial.
    clock.advance(10 * HALF_OPEN_MS);
    await settle();
    expect(trials).toBe(1);
  });

  it('tries again every interval while upstream keeps failing', async () => {
    outcome = 'fails';
    circuit.open();
    for (let interval = 1; interval <= 3; interval += 1) {
      clock.advance(HALF_OPEN_MS);
      await settle();
      expect(trials).toBe(interval);
      expect(clock.pending).toBe(1);
    }
    outcome = 'recovers';
    clock.advance(HALF_OPEN_MS);
    await settle();
    expect(trials).toBe(4);
    expect(circuit.state()).toBe('closed');
    expect(clock.pending).toBe(0);
  });

  it('leaves the trial to a client call that closed the circuit first', async () => {
    circuit.open();
    circuit.current = 'closed';
    clock.advance(HALF_OPEN_MS);
    await settle();
    expect(trials).toBe(0);
  });

  it('tries again soon when the breaker did not admit the trial yet', async () => {
    probe.onModuleDestroy();
    let refusals = 1;
    probe = new CircuitProbe(
      circuit,
      () => {
        trials += 1;
        if (refusals-- > 0) return Promise.reject(new Error('circuit still open'));
        circuit.current = 'closed';
        return Promise.resolve();
      },
      HALF_OPEN_MS,
      clock,
    );
    circuit.open();
    clock.advance(HALF_OPEN_MS);
    await settle();
    expect(trials).toBe(1);
    clock.advance(HALF_OPEN_MS / 10);
    await settle();
    expect(trials).toBe(2);
    expect(circuit.state()).toBe('closed');
  });

  it('stops on shutdown: the pending trial is cancelled and openings are no longer followed', async () => {
    circuit.open();
    expect(clock.pending).toBe(1);
    probe.onModuleDestroy();
    expect(clock.pending).toBe(0);
    expect(circuit.subscribers).toBe(0);
    clock.advance(HALF_OPEN_MS);
    await settle();
    expect(trials).toBe(0);
  });

  it('runs the trial outside the async context of the call that opened the circuit', async () => {
    const caller = new AsyncLocalStorage<string>();
    let seen: string | undefined = 'unset';
    probe.onModuleDestroy();
    probe = new CircuitProbe(
      circuit,
      () => {
        seen = caller.getStore();
        circuit.current = 'closed';
        return Promise.resolve();
      },
      HALF_OPEN_MS,
      clock,
    );
    caller.run('team-a', () => circuit.open());
    clock.advance(HALF_OPEN_MS);
    await settle();
    expect(seen).toBeUndefined();
  });
});

describe('CircuitProbe with a cockatiel breaker', () => {
  afterEach(() => jest.useRealTimers());

  it('takes the circuit open → half-open → closed without a client call', async () => {
    jest.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    const breaker = circuitBreaker(handleAll, {
      halfOpenAfter: HALF_OPEN_MS,
      breaker: new ConsecutiveBreaker(2),
    });
    const states: CircuitState[] = [];
    breaker.onStateChange((state) => states.push(state));
    let upstreamUp = false;
    const request = () =>
      breaker.execute(() =>
        upstreamUp ? Promise.resolve('ok') : Promise.reject(new Error('HTTP 500')),
      );
    const probe = new CircuitProbe(
      {
        state: () => (breaker.state === CircuitState.Open ? 'open' : 'closed'),
        onOpen: (listener) => {
          const subscription = breaker.onBreak(listener);
          return () => subscription.dispose();
        },
      },
      request,
      HALF_OPEN_MS,
      systemTimers,
    );
    try {
      await expect(request()).rejects.toThrow('HTTP 500');
      await expect(request()).rejects.toThrow('HTTP 500');
      expect(breaker.state).toBe(CircuitState.Open);

      // Still down at the first trial: open again, and the next trial is scheduled.
      await jest.advanceTimersByTimeAsync(HALF_OPEN_MS);
      expect(states).toEqual([CircuitState.Open, CircuitState.HalfOpen, CircuitState.Open]);

      upstreamUp = true;
      await jest.advanceTimersByTimeAsync(HALF_OPEN_MS - 1);
      expect(breaker.state).toBe(CircuitState.Open);
      await jest.advanceTimersByTimeAsync(1);
      expect(breaker.state).toBe(CircuitState.Closed);
      expect(states.slice(3)).toEqual([CircuitState.HalfOpen, CircuitState.Closed]);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      probe.onModuleDestroy();
    }
  });
});
