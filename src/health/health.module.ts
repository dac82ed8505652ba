import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AareguruModule } from '../aareguru/aareguru.module';
import { SessionsModule } from '../sessions/sessions.module';
import { HealthController } from './health.controller';
import { ProbeStateLog } from './probe-state-log';

/** Probes and details; each feature module owns its indicator, this one only composes them. */
@Module({
  imports: [
    // A failing probe is logged once per change by ProbeStateLog, not by Terminus on each probe.
    TerminusModule.forRoot({ logger: false, errorLogStyle: 'json' }),
    AareguruModule,
    SessionsModule,
  ],
  controllers: [HealthController],
  providers: [{ provide: ProbeStateLog, useFactory: () => new ProbeStateLog() }],
})
export class HealthModule {}
