import { Global, Module } from '@nestjs/common';
import { AdminKeyGuard, ApiKeyGuard, MetricsKeyGuard } from './api-key.guard';
import { AuthService } from './auth.service';

/** API keys: who is calling. Global, because guards on several modules' controllers need it. */
@Global()
@Module({
  providers: [AuthService, ApiKeyGuard, AdminKeyGuard, MetricsKeyGuard],
  exports: [AuthService, ApiKeyGuard, AdminKeyGuard, MetricsKeyGuard],
})
export class AuthModule {}
