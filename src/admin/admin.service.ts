import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { AareguruClient } from '../aareguru/aareguru.client';
import { UpstreamCacheService } from '../aareguru/cache/upstream-cache.service';
import { CLOCK, Clock } from '../common/clock';
import type { AppConfiguration } from '../config/configuration.types';
import { APP_CONFIGURATION } from '../config/app-config.module';
import { eraOf } from '../sessions/session-lifecycle.service';
import {
  McpSession,
  SESSION_REGISTRY,
  SessionRegistry,
} from '../sessions/session-registry.interface';
import type {
  ListSessionsQueryDto,
  SessionDto,
  SessionListDto,
  UpstreamStatusDto,
} from './dto/admin.dto';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** What the admin endpoints show and do; the controller only maps HTTP to these calls. */
@Injectable()
export class AdminService {
  constructor(
    @Inject(SESSION_REGISTRY) private readonly registry: SessionRegistry,
    private readonly client: AareguruClient,
    private readonly cache: UpstreamCacheService,
    @Inject(APP_CONFIGURATION) private readonly configuration: AppConfiguration,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  listSessions(query: ListSessionsQueryDto): SessionListDto {
    const now = this.clock.now();
    const matching = this.registry
      .list()
      .filter(
        ({ info }) =>
          (!query.transport || info.transport === query.transport) &&
          (!query.keyLabel || info.keyLabel === query.keyLabel) &&
          (!query.clientName || info.clientName === query.clientName) &&
          (query.idleSeconds === undefined || now - info.lastActiveAt >= query.idleSeconds * 1000),
      )
      .sort((a, b) => a.info.openedAt - b.info.openedAt);
    return { total: matching.length, sessions: matching.slice(0, query.limit ?? 100).map(toDto) };
  }

  session(id: string): SessionDto {
    return toDto(this.found(id));
  }

  async closeSession(id: string): Promise<void> {
    await this.found(id).close('admin');
  }

  async upstream(): Promise<UpstreamStatusDto> {
    const status = this.client.status();
    return {
      circuit: status.circuit,
      lastSuccessAt: iso(status.lastSuccessAt),
      lastFailureAt: iso(status.lastFailureAt),
      requests: status.requests,
      failures: status.failures,
      recentFailures: status.recentFailures.map((f) => ({ ...f, at: iso(f.at)! })),
      cache: await this.cache.entries(),
      cacheUsage: await this.cache.usage(),
    };
  }

  async invalidateCache(city?: string): Promise<{ removed: number }> {
    return { removed: await this.cache.invalidate(city) };
  }

  /** The configuration in force, with key material replaced by labels. */
  effectiveConfig(): Record<string, unknown> {
    const { auth, redis, ...rest } = this.configuration;
    return {
      ...rest,
      redis: { ...redis, url: redis.url === null ? null : withoutPassword(redis.url) },
      auth: {
        keyless: auth.keyless,
        keys: auth.keys.map((k) => k.label),
        adminKeys: auth.adminKeys.map((k) => k.label),
        metricsRequireKey: auth.metricsRequireKey,
      },
    };
  }

  private found(id: string): McpSession {
    const session = this.registry.get(id);
    if (!session) throw new NotFoundException(`No open session ${id}`);
    return session;
  }
}

/** A Redis URL as it may be shown: any password replaced. */
export function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = 'redacted';
  return parsed.toString();
}

function toDto({ info, awake }: McpSession): SessionDto {
  return {
    id: info.id,
    transport: info.transport,
    era: eraOf(info.protocolVersion),
    protocolVersion: info.protocolVersion,
    keyLabel: info.keyLabel,
    clientName: info.clientName,
    clientVersion: info.clientVersion,
    openedAt: iso(info.openedAt)!,
    lastActiveAt: iso(info.lastActiveAt)!,
    // A listen stream keeps no server, so it has none to let go.
    hibernating: info.transport !== 'listen' && !awake,
  };
}
