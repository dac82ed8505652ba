import { Controller, Get, Req, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { McpThrottlerGuard } from '../throttling/mcp-throttler.guard';
import { SessionOpenLimitInterceptor } from '../throttling/session-open-limit.interceptor';
import { HostOriginGuard } from './host-origin.guard';
import { ApiSseGet } from './mcp-openapi';
import { SseService } from './sse.service';

/** The legacy HTTP+SSE transport's stream: `GET /sse` opens a session and its event stream. */
@ApiTags('MCP')
@Controller('sse')
@UseGuards(HostOriginGuard, ApiKeyGuard, McpThrottlerGuard)
@UseInterceptors(SessionOpenLimitInterceptor)
export class SseController {
  constructor(private readonly sse: SseService) {}

  @Get()
  @ApiSseGet()
  open(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return this.sse.open(req, res);
  }
}
