import { Controller, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { RequestBodyGuard } from '../common/request-body.guard';
import { McpThrottlerGuard } from '../throttling/mcp-throttler.guard';
import { HostOriginGuard } from './host-origin.guard';
import { ApiMessagesPost } from './mcp-openapi';
import { SseService } from './sse.service';

/** The legacy HTTP+SSE transport's inbox: `POST /messages?sessionId=…`, answered on the stream. */
@ApiTags('MCP')
@Controller('messages')
@UseGuards(HostOriginGuard, ApiKeyGuard, McpThrottlerGuard, RequestBodyGuard)
export class MessagesController {
  constructor(private readonly sse: SseService) {}

  @Post()
  @ApiMessagesPost()
  post(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return this.sse.post(req, res);
  }
}
