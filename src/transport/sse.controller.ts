import { Controller, Get, Req, Res, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { RequestBodyGuard } from '../common/request-body.guard';
import { McpThrottlerGuard } from '../throttling/mcp-throttler.guard';
import { SessionOpenLimitGuard } from '../throttling/session-open-limit.guard';
import { HostOriginGuard } from './host-origin.guard';
import { ApiSseGet } from './mcp-openapi';
import { SseService } from './sse.service';

/** The legacy HTTP+SSE transport's stream: `GET /sse` opens a session and its event stream. */
@ApiTags('MCP')
@Controller('sse')
@UseGuards(HostOriginGuard, ApiKeyGuard, McpThrottlerGuard, RequestBodyGuard, SessionOpenLimitGuard)
export class SseController {
  constructor(private readonly sse: SseService) {}

  @Get()
  @ApiSseGet()
  open(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return this.sse.open(req, res);
  }
}
