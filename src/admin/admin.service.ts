import { Inject, Injectable, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { AareguruClient } from '../aareguru/aareguru.client';
import { UpstreamCacheService } from '../aareguru/cache/upstream-cache.service';
import { CLOCK, Clock } from '../common/clock';
import type { AppConfiguration } from '../config/configuration.types';
import { APP_CONFIGURATION } from '../config/app-config.module';
import {
  eraOf,
  SessionAdmissionError,
  SessionLifecycleService,
} from '../sessions/session-lifecycle.service';
import type { SessionRecord } from '../sessions/session-directory.interface';
import { replicaOf } from '../redis/redis-connection';
import {
  McpSession,
  SESSION_REGISTRY,
  SessionInfo,
  SessionRegistry,
} from '../sessions/session-registry.interface';
import type {
  ListSessionsQueryDto,
  SessionDto,
  SessionListDto,
  UpstreamStatusDto,
} from './dto/admin.dto';
import type { EffectiveConfigDto } from './dto/config.dto';

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
    private readonly sessions: SessionLifecycleService,
  ) {}

  /** This replica's sessions; with replicas, the fleet's (from the records) and local listen streams. */
  async listSessions(query: ListSessionsQueryDto): Promise<SessionListDto> {
    const now = this.clock.now();
    const matching = (await this.allSessions())
      .filter(
        (info) =>
          (!query.transport || info.transport === query.transport) &&
          (!query.keyLabel || info.keyLabel === query.keyLabel) &&
          (!query.clientName || info.clientName === query.clientName) &&
          (query.idleSeconds === undefined ||
            now - Date.parse(info.lastActiveAt) >= query.idleSeconds * 1000),
      )
      // ISO 8601 in UTC sorts as text.
      .sort((a, b) => a.openedAt.localeCompare(b.openedAt));
    return { total: matching.length, sessions: matching.slice(0, query.limit ?? 100) };
  }

  async session(id: string): Promise<SessionDto> {
    const local = this.registry.get(id);
    if (local) {
      return toDto(local, this.sessions.shared ? replicaOf(this.sessions.fleet.replicaId) : null);
    }
    if (this.sessions.shared) {
      const record = await this.sessions
        .fleetRecordOf(id)
        .catch((error: unknown) => unavailable(error));
      if (record) return this.recordDto(record);
    }
    throw new NotFoundException(`No open session ${id}`);
  }

  async closeSession(id: string): Promise<void> {
    const closed = await this.sessions
      .closeAnywhere(id, 'admin')
      .catch((error: unknown) => unavailable(error));
    if (!closed) {
      throw new NotFoundException(`No open session ${id}`);
    }
  }

  private async allSessions(): Promise<SessionDto[]> {
    if (!this.sessions.shared) return this.registry.list().map((s) => toDto(s, null));
    const replica = replicaOf(this.sessions.fleet.replicaId);
    const records = await this.fleetRecords();
    const recorded = new Set(records.map((r) => r.id));
    const listen = this.registry
      .list()
      .filter((s) => !recorded.has(s.info.id) && s.info.transport === 'listen')
      .map((s) => toDto(s, replica));
    return [...records.map((r) => this.recordDto(r)), ...listen];
  }

  /** The fleet's session records; 503 while Redis is unreachable. */
  private fleetRecords(): Promise<SessionRecord[]> {
    return this.sessions.fleetRecords().catch((error: unknown) => unavailable(error));
  }

  /** A session of the fleet; this replica's copy (if any) says whether it is hibernating. */
  private recordDto(record: SessionRecord): SessionDto {
    const local = this.registry.get(record.id);
    const idleMs = this.sessions.recordIdleMs;
    const info: SessionInfo = {
      ...record,
      // The record's expiry was set by its last use, an idle timeout ahead.
      lastActiveAt: Math.max(
        local?.info.lastActiveAt ?? 0,
        record.expiresAt === undefined ? record.openedAt : record.expiresAt - idleMs,
      ),
    };
    return toDto(
      { info, awake: local ? local.awake : false },
      replicaOf(record.replica),
      local === undefined,
    );
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
  effectiveConfig(): EffectiveConfigDto {
    const { auth, redis, ...rest } = this.configuration;
    return {
      ...rest,
      redis: { ...redis, url: redis.url === null ? null : withoutPassword(redis.url) },
      auth: {
        mode: auth.mode,
        oauth: auth.oauth,
        keyless: auth.keyless,
        keys: auth.keys.map((k) => k.label),
        adminKeys: auth.adminKeys.map((k) => k.label),
        metricsRequireKey: auth.metricsRequireKey,
        identityHeader: auth.identityHeader,
      },
    };
  }
}

/** The session store could not be reached: 503, not a 500. */
function unavailable(error: unknown): never {
  if (error instanceof SessionAdmissionError) throw new ServiceUnavailableException(error.message);
  throw error;
}

/** A Redis URL as it may be shown: any password replaced. */
export function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = 'redacted';
  return parsed.toString();
}

function toDto(
  { info, awake }: Pick<McpSession, 'info' | 'awake'>,
  replica: string | null,
  notHeldHere = false,
): SessionDto {
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
    // A listen stream keeps no server, so it has none to let go. Not held here: unknown.
    hibernating: notHeldHere ? null : info.transport !== 'listen' && !awake,
    replica,
  };
}
