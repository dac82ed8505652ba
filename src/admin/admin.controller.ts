import {
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
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiSecurity,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
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

@ApiTags('admin')
@ApiSecurity('api-key')
@ApiUnauthorizedResponse({ description: 'No or an unknown API key.' })
@ApiForbiddenResponse({ description: 'A valid key that is not an admin key.' })
@ApiTooManyRequestsResponse({ description: 'Rate limit exceeded; see Retry-After.' })
@Controller('admin')
@UseGuards(AdminKeyGuard, McpThrottlerGuard, RequestBodyGuard)
@UsePipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  @Get('sessions')
  @ApiOperation({ summary: 'Open MCP sessions, oldest first, with filters.' })
  @ApiOkResponse({ type: SessionListDto })
  listSessions(@Query() query: ListSessionsQueryDto): Promise<SessionListDto> {
    return this.admin.listSessions(query);
  }

  @Get('sessions/:id')
  @ApiOperation({ summary: 'One open session.' })
  @ApiOkResponse({ type: SessionDto })
  @ApiNotFoundResponse({ description: 'No open session with this id.' })
  session(@Param('id') id: string): Promise<SessionDto> {
    return this.admin.session(id);
  }

  @Delete('sessions/:id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Close a session now (its transport and server).' })
  @ApiNoContentResponse({ description: 'Closed.' })
  @ApiNotFoundResponse({ description: 'No open session with this id.' })
  closeSession(@Param('id') id: string): Promise<void> {
    return this.admin.closeSession(id);
  }

  @Get('upstream')
  @ApiOperation({
    summary: 'Aareguru API state: circuit, recent failures, cache entries with ages.',
  })
  @ApiOkResponse({ type: UpstreamStatusDto })
  upstream(): Promise<UpstreamStatusDto> {
    return this.admin.upstream();
  }

  @Post('cache/invalidate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Forget cached upstream answers: all, or those of one city.' })
  @ApiOkResponse({ type: InvalidateCacheResultDto })
  invalidate(@Body() body: InvalidateCacheDto): Promise<InvalidateCacheResultDto> {
    return this.admin.invalidateCache(body.city);
  }

  @Get('config')
  @ApiOperation({ summary: 'The configuration in force; API keys appear as their labels only.' })
  @ApiOkResponse({ description: 'The effective configuration.' })
  config(): Record<string, unknown> {
    return this.admin.effectiveConfig();
  }
}
