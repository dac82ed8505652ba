import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AareguruModule } from '../aareguru/aareguru.module';
import { SessionsModule } from '../sessions/sessions.module';
import { HealthController } from './health.controller';

/** Probes and details; each feature module owns its indicator, this one only composes them. */
@Module({
  imports: [TerminusModule, AareguruModule, SessionsModule],
  controllers: [HealthController],
})
export class HealthModule {}
