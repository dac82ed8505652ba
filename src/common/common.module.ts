import { DynamicModule, Global, Module } from '@nestjs/common';
import { AppStateService } from './app-state.service';
import { CLOCK, Clock, systemClock, systemTimers, TIMERS } from './clock';
import { InFlightService } from './in-flight.service';

/** Cross-cutting providers every feature module may inject. */
@Global()
@Module({})
export class CommonModule {
  /** `clock` replaces the system clock (tests move time instead of waiting for it). */
  static forRoot(clock: Clock = systemClock): DynamicModule {
    return {
      module: CommonModule,
      providers: [
        { provide: CLOCK, useValue: clock },
        { provide: TIMERS, useValue: systemTimers },
        AppStateService,
        InFlightService,
      ],
      exports: [CLOCK, TIMERS, AppStateService, InFlightService],
    };
  }
}
