import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppStateService } from './app-state.service';
import { CLOCK, Clock, systemClock, systemTimers, TIMERS, Timers } from './clock';
import { InFlightService } from './in-flight.service';

/** Cross-cutting providers every feature module may inject. */
@Global()
@Module({})
export class CommonModule {
  /**
   * `clock` and `timers` replace the system's (tests move time, and run what is scheduled on it,
   * instead of waiting for it).
   */
  static forRoot(clock: Clock = systemClock, timers: Timers = systemTimers): DynamicModule {
    return {
      module: CommonModule,
      providers: [
        { provide: CLOCK, useValue: clock },
        { provide: TIMERS, useValue: timers },
        AppStateService,
        InFlightService,
      ],
      exports: [CLOCK, TIMERS, AppStateService, InFlightService],
    };
  }
}
