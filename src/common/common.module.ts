import { Global, Module } from '@nestjs/common';
import { CLOCK, systemClock } from './clock';

/** Cross-cutting providers every feature module may inject. */
@Global()
@Module({
  providers: [{ provide: CLOCK, useValue: systemClock }],
  exports: [CLOCK],
})
export class CommonModule {}
