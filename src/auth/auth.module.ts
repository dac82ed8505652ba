import { Global, Module } from '@nestjs/common';
import { makeCounterProvider } from '@willsoto/nestjs-prometheus';
import { AUTH_CONFIG } from '../config/app-config.module';
import type { AuthConfig } from '../config/configuration.types';
import { AdminKeyGuard, ApiKeyGuard, MetricsKeyGuard } from './api-key.guard';
import { AUTH_TOKEN_CHECKS } from './auth.metrics';
import { AuthService } from './auth.service';
import { JwtTokenVerifier } from './oauth/jwt-token-verifier';
import { ProtectedResource } from './oauth/protected-resource';
import { ProtectedResourceController } from './oauth/protected-resource.controller';
import { TOKEN_VERIFIER } from './oauth/token-verifier';

/**
 * Who is calling: API keys, bearer tokens of the configured issuers (AUTH_MODE), a gateway's
 * identity header. Global, because guards on several modules' controllers need it.
 */
@Global()
@Module({
  controllers: [ProtectedResourceController],
  providers: [
    {
      provide: TOKEN_VERIFIER,
      useFactory: (auth: AuthConfig) => (auth.oauth ? new JwtTokenVerifier(auth.oauth) : null),
      inject: [AUTH_CONFIG],
    },
    makeCounterProvider(AUTH_TOKEN_CHECKS),
    ProtectedResource,
    AuthService,
    ApiKeyGuard,
    AdminKeyGuard,
    MetricsKeyGuard,
  ],
  exports: [AuthService, ProtectedResource, ApiKeyGuard, AdminKeyGuard, MetricsKeyGuard],
})
export class AuthModule {}
