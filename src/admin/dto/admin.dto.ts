import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import type { TransportKind } from '../../sessions/session-registry.interface';

const TRANSPORTS: TransportKind[] = ['streamable-http', 'sse', 'listen'];

export class ListSessionsQueryDto {
  @ApiPropertyOptional({ enum: TRANSPORTS })
  @IsOptional()
  @IsIn(TRANSPORTS)
  transport?: TransportKind;

  @ApiPropertyOptional({
    description:
      'The caller that opened the session: an API key label, oauth:<caller> for a token, gateway:<identity>, or anonymous.',
  })
  @IsOptional()
  @IsString()
  // An OAuth caller is up to 256 characters behind its prefix and issuer number.
  @MaxLength(300)
  keyLabel?: string;

  @ApiPropertyOptional({ description: 'Client name as sent in initialize (exact match).' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  clientName?: string;

  @ApiPropertyOptional({ description: 'Only sessions idle for at least this many seconds.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  idleSeconds?: number;

  @ApiPropertyOptional({ default: 100, minimum: 1, maximum: 1000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class SessionDto {
  @ApiProperty() id!: string;
  @ApiProperty({
    enum: TRANSPORTS,
    description: '`listen`: a 2026-07-28 subscriptions/listen stream (one open response).',
  })
  transport!: string;
  @ApiProperty({
    description: 'Protocol generation: 2024 (HTTP+SSE), 2025 (Streamable HTTP), 2026 (listen).',
  })
  era!: string;
  @ApiProperty({ nullable: true, type: String }) protocolVersion!: string | null;
  @ApiProperty({
    description:
      'The caller that opened it: an API key label, oauth:<caller>, gateway:<identity> or anonymous.',
  })
  keyLabel!: string;
  @ApiProperty({ nullable: true, type: String }) clientName!: string | null;
  @ApiProperty({ nullable: true, type: String }) clientVersion!: string | null;
  @ApiProperty({ description: 'ISO 8601' }) openedAt!: string;
  @ApiProperty({ description: 'ISO 8601' }) lastActiveAt!: string;
  @ApiProperty({
    nullable: true,
    type: Boolean,
    description:
      'True while the idle session has let its server go; its next request rebuilds it. Null with replicas for a session this replica holds no copy of.',
  })
  hibernating!: boolean | null;
  @ApiProperty({
    nullable: true,
    type: String,
    description:
      'With replicas (REDIS_URL): the replica holding its streams (the SSE stream, or the last to serve a 2025 session). Null in a single process.',
  })
  replica!: string | null;
}

export class SessionListDto {
  @ApiProperty() total!: number;
  @ApiProperty({ type: [SessionDto] }) sessions!: SessionDto[];
}

export class InvalidateCacheDto {
  @ApiPropertyOptional({
    description: 'City id; every cached answer when omitted.',
    example: 'bern',
  })
  @IsOptional()
  @IsString()
  @Matches(/^[a-z0-9-]{1,64}$/, { message: 'city must be a lower-case city id' })
  city?: string;
}

export class InvalidateCacheResultDto {
  @ApiProperty() removed!: number;
}

export class CacheEntryDto {
  @ApiProperty() key!: string;
  @ApiProperty() ageSeconds!: number;
  @ApiProperty({ description: 'False once the TTL has passed (kept for stale-on-error).' })
  fresh!: boolean;
  @ApiProperty({ description: 'JSON size of the value, as counted against CACHE_MAX_BYTES.' })
  bytes!: number;
}

export class CacheUsageDto {
  @ApiProperty() entries!: number;
  @ApiProperty({ description: 'JSON size of the values held.' }) bytes!: number;
  @ApiProperty({ description: 'CACHE_MAX_ENTRIES' }) maxEntries!: number;
  @ApiProperty({ description: 'CACHE_MAX_BYTES' }) maxBytes!: number;
}

export class UpstreamFailureDto {
  @ApiProperty({ description: 'ISO 8601' }) at!: string;
  @ApiProperty() endpoint!: string;
  @ApiProperty() kind!: string;
  @ApiProperty() message!: string;
}

export class UpstreamStatusDto {
  @ApiProperty({ enum: ['closed', 'open', 'half-open', 'isolated'] }) circuit!: string;
  @ApiProperty({ nullable: true, type: String }) lastSuccessAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) lastFailureAt!: string | null;
  @ApiProperty() requests!: number;
  @ApiProperty() failures!: number;
  @ApiProperty({ type: [UpstreamFailureDto] }) recentFailures!: UpstreamFailureDto[];
  @ApiProperty({ type: [CacheEntryDto] }) cache!: CacheEntryDto[];
  @ApiProperty({ type: CacheUsageDto }) cacheUsage!: CacheUsageDto;
}
