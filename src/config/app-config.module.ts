import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { loadConfiguration } from './configuration';
import type { AppConfiguration } from './configuration.types';

/** Injection tokens for the typed configuration namespaces. */
export const AAREGURU_CONFIG = Symbol('AAREGURU_CONFIG');
export const CACHE_CONFIG = Symbol('CACHE_CONFIG');
export const LOGGING_CONFIG = Symbol('LOGGING_CONFIG');
export const MCP_CONFIG = Symbol('MCP_CONFIG');
export const AUTH_CONFIG = Symbol('AUTH_CONFIG');
export const HTTP_CONFIG = Symbol('HTTP_CONFIG');
export const SESSION_CONFIG = Symbol('SESSION_CONFIG');
export const REDIS_CONFIG = Symbol('REDIS_CONFIG');
export const LIVE_CONFIG = Symbol('LIVE_CONFIG');
/** The whole validated tree (the admin API shows it, redacted). */
export const APP_CONFIGURATION = Symbol('APP_CONFIGURATION');

const NAMESPACES = [
  [AAREGURU_CONFIG, 'aareguru'],
  [CACHE_CONFIG, 'cache'],
  [LOGGING_CONFIG, 'logging'],
  [MCP_CONFIG, 'mcp'],
  [AUTH_CONFIG, 'auth'],
  [HTTP_CONFIG, 'http'],
  [SESSION_CONFIG, 'sessions'],
  [REDIS_CONFIG, 'redis'],
  [LIVE_CONFIG, 'live'],
] as const;

export interface AppConfigOptions {
  /** Defaults to process.env; tests pass their own. */
  env?: NodeJS.ProcessEnv;
  /** An already validated configuration (main.ts validates before Nest starts). */
  configuration?: AppConfiguration;
}

@Global()
@Module({})
export class AppConfigModule {
  static forRoot(options: AppConfigOptions = {}): DynamicModule {
    const configuration = options.configuration ?? loadConfiguration(options.env);
    return {
      module: AppConfigModule,
      imports: [
        ConfigModule.forRoot({
          ignoreEnvFile: true,
          skipProcessEnv: true,
          load: [() => configuration],
        }),
      ],
      providers: [
        { provide: APP_CONFIGURATION, useValue: configuration },
        ...NAMESPACES.map(([token, key]) => ({
          provide: token,
          useFactory: (config: ConfigService<AppConfiguration, true>) =>
            config.get(key, { infer: true }),
          inject: [ConfigService],
        })),
      ],
      exports: [ConfigModule, APP_CONFIGURATION, ...NAMESPACES.map(([token]) => token)],
    };
  }
}
