import { OnModuleDestroy } from '@nestjs/common';
import { AsyncResource } from 'node:async_hooks';
import type { Timers } from '../common/clock';
import type { CircuitStateName } from './aareguru.client';

/** What the probe needs of a circuit breaker. */
export interface ProbedCircuit {
  state(): CircuitStateName;
  /** Calls `listener` each time the circuit opens; the returned function unsubscribes. */
  onOpen(listener: () => void): () => void;
}

/**
 * Makes the circuit's half-open trial happen on a quiet server too. Without it the breaker only
 * tries again when a client calls, so after an outage the circuit (and `/health`, and the
 * circuit gauge) would stay open until someone asks for data. Each time the circuit opens, one
 * trial is scheduled for when the breaker admits it; a failed trial opens the circuit again,
 * which schedules the next. Nothing runs while the circuit is closed.
 */
export class CircuitProbe implements OnModuleDestroy {
  private cancelPending: (() => void) | undefined;
  private readonly unsubscribe: () => void;
  private readonly fire: () => void;
  private stopped = false;

  constructor(
    private readonly circuit: ProbedCircuit,
    /** One cheap upstream request through the breaker. */
    private readonly trial: () => Promise<unknown>,
    private readonly halfOpenMs: number,
    private readonly timers: Timers,
  ) {
    // Bound here, at start-up: the trial is nobody's call, so it must not run in the async
    // context of the request that happened to open the circuit (its caller, its log fields).
    this.fire = AsyncResource.bind(() => void this.probe());
    this.unsubscribe = circuit.onOpen(() => this.scheduleIn(this.halfOpenMs));
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.cancelPending?.();
    this.cancelPending = undefined;
    this.unsubscribe();
  }

  private scheduleIn(delayMs: number): void {
    if (this.stopped) return;
    this.cancelPending?.();
    this.cancelPending = this.timers.schedule(this.fire, delayMs);
  }

  private async probe(): Promise<void> {
    this.cancelPending = undefined;
    // Closed by a client's trial already, or a client's call is the trial right now.
    if (this.stopped || this.circuit.state() !== 'open') return;
    try {
      await this.trial();
    } catch {
      // The client has recorded why; the circuit opening again schedules the next trial.
    }
    // Still open and nothing scheduled: the breaker did not admit the trial (the timer fired a
    // moment before the breaker's own clock allowed it, or no connection was free). Nothing was
    // sent, so nothing failed upstream: soon again.
    if (!this.stopped && this.circuit.state() === 'open' && !this.cancelPending) {
      this.scheduleIn(Math.max(10, Math.round(this.halfOpenMs / 10)));
    }
  }
}
