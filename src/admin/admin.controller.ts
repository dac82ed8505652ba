import {
  applyDecorators,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  UseGuards,
  UsePipes,
  ValidationPipe,
} from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import { AdminKeyGuard } from '../auth/api-key.guard';
import { RequestBodyGuard } from '../common/request-body.guard';
import { McpThrottlerGuard } from '../throttling/mcp-throttler.guard';
import { AdminService } from './admin.service';
import {
  InvalidateCacheDto,
  InvalidateCacheResultDto,
  ListSessionsQueryDto,
  SessionDto,
  SessionListDto,
  UpstreamStatusDto,
} from './dto/admin.dto';
import {
  CONFIG_EXAMPLE,
  INVALIDATE_EXAMPLE,
  SESSION_EXAMPLE,
  SESSION_LIST_EXAMPLE,
  UPSTREAM_EXAMPLE,
} from './dto/admin.examples';
import { EffectiveConfigDto } from './dto/config.dto';
import { ApiErrorResponse, ERROR_EXAMPLES } from './dto/error.dto';

const example = <T>(summary: string, value: T) => ({ summary, value });

/** The errors of one session's id: none open here or in the fleet; the fleet's store down. */
const SESSION_ERRORS = [
  ApiErrorResponse(404, 'No open session with this id.', {
    notFound: example('No such session', ERROR_EXAMPLES.notFound),
  }),
  ApiErrorResponse(503, 'With replicas: the session store (Redis) cannot be reached.', {
    unavailable: example('Redis unreachable', ERROR_EXAMPLES.unavailable),
  }),
];

@ApiTags('admin')
@ApiSecurity('api-key')
@ApiErrorResponse(401, 'No or an unknown API key. `WWW-Authenticate` names the schemes.', {
  unauthorized: example('No key, or a key that is not configured', ERROR_EXAMPLES.unauthorized),
})
@ApiErrorResponse(403, 'A valid key that is not an admin key.', {
  forbidden: example('A user key', ERROR_EXAMPLES.forbidden),
})
@ApiErrorResponse(
  429,
  'Rate limit exceeded. `Retry-After` says when to retry; `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers-10) name the limit and what is left of it.',
  { tooManyRequests: example('Over the per-minute limit', ERROR_EXAMPLES.tooManyRequests) },
  {
    'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } },
    'RateLimit-Policy': {
      description: 'The limits, e.g. `"minute";q=100;w=60, "hour";q=1000;w=3600`.',
      schema: { type: 'string' },
    },
    RateLimit: {
      description: 'What is left, e.g. `"minute";r=0;t=60`.',
      schema: { type: 'string' },
    },
  },
)
@Controller('admin')
@UseGuards(AdminKeyGuard, McpThrottlerGuard, RequestBodyGuard)
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  @Get('sessions')
  @ApiOperation({ summary: 'Open MCP sessions, oldest first, with filters.' })
  @ApiOkResponse({
    type: SessionListDto,
    examples: { sessions: example('Two sessions on a fleet', SESSION_LIST_EXAMPLE) },
  })
  @ApiErrorResponse(400, 'Invalid filters; `message` lists each.', {
    validation: example('Unknown transport, limit too large', ERROR_EXAMPLES.validation),
  })
  @ApiErrorResponse(503, 'With replicas: the session store (Redis) cannot be reached.', {
    unavailable: example('Redis unreachable', ERROR_EXAMPLES.unavailable),
  })
  listSessions(@Query() query: ListSessionsQueryDto): Promise<SessionListDto> {
    return this.admin.listSessions(query);
  }

  @Get('sessions/:id')
  @ApiOperation({ summary: 'One open session.' })
  @ApiOkResponse({
    type: SessionDto,
    examples: { session: example('A 2025-era session', SESSION_EXAMPLE) },
  })
  @applyAll(SESSION_ERRORS)
  session(@Param('id') id: string): Promise<SessionDto> {
    return this.admin.session(id);
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Close a session now (its transport and server).' })
  @ApiNoContentResponse({ description: 'Closed; no body.' })
  @applyAll(SESSION_ERRORS)
  closeSession(@Param('id') id: string): Promise<void> {
    return this.admin.closeSession(id);
  }

  @Get('upstream')
  @ApiOperation({
    summary: 'Aareguru API state: circuit, recent failures, cache entries with ages.',
  })
  @ApiOkResponse({
    type: UpstreamStatusDto,
    examples: { upstream: example('After a short upstream hiccup', UPSTREAM_EXAMPLE) },
  })
  upstream(): Promise<UpstreamStatusDto> {
    return this.admin.upstream();
  }

  @Post('cache/invalidate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Forget cached upstream answers: all, or those of one city.' })
  @ApiOkResponse({
    type: InvalidateCacheResultDto,
    examples: { removed: example("Bern's cached answers forgotten", INVALIDATE_EXAMPLE) },
  })
  @ApiErrorResponse(400, 'Not a city id, an unknown field, or a body that is not JSON.', {
    invalidCity: example('Not a lower-case city id', ERROR_EXAMPLES.invalidCity),
    invalidJson: example('Not JSON', ERROR_EXAMPLES.invalidJson),
  })
  @ApiErrorResponse(413, 'Body larger than MAX_BODY_BYTES.', {
    tooLarge: example('Too large', ERROR_EXAMPLES.tooLarge),
  })
  @ApiErrorResponse(415, 'Content-Type is not application/json.', {
    unsupportedType: example('A text body', ERROR_EXAMPLES.unsupportedType),
  })
  invalidate(@Body() body: InvalidateCacheDto): Promise<InvalidateCacheResultDto> {
    return this.admin.invalidateCache(body.city);
  }

  @Get('config')
  @ApiOperation({ summary: 'The configuration in force; API keys appear as their labels only.' })
  @ApiOkResponse({
    type: EffectiveConfigDto,
    examples: { config: example('Two replicas with Redis behind a gateway', CONFIG_EXAMPLE) },
  })
  config(): EffectiveConfigDto {
    return this.admin.effectiveConfig();
  }
}

/** Several decorators as one (a list shared by operations). */
function applyAll(decorators: ReturnType<typeof ApiErrorResponse>[]) {
  return applyDecorators(...decorators);
}
