import { All, Controller, Delete, Get, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiTags } from '@nestjs/swagger';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { RequestBodyGuard } from '../common/request-body.guard';
import { JsonRpcCode, JsonRpcHttpException } from '../common/json-rpc';
import { McpThrottlerGuard } from '../throttling/mcp-throttler.guard';
import { SessionOpenLimitGuard } from '../throttling/session-open-limit.guard';
import { HostOriginGuard } from './host-origin.guard';
import { ApiMcpDelete, ApiMcpGet, ApiMcpPost } from './mcp-openapi';
import { StreamableHttpService } from './streamable-http.service';

/**
 * Streamable HTTP at /mcp: POST carries client messages, GET opens the session's event stream,
 * DELETE ends a session. The service answers on Node's response itself (streams included).
 */
@ApiTags('MCP')
@Controller('mcp')
@UseGuards(HostOriginGuard, ApiKeyGuard, McpThrottlerGuard, RequestBodyGuard, SessionOpenLimitGuard)
export class McpController {
  constructor(private readonly streamable: StreamableHttpService) {}

  @Post()
  @ApiMcpPost()
  post(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return this.streamable.handle(req, res);
  }

  @Get()
  @ApiMcpGet()
  stream(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return this.streamable.handle(req, res);
  }

  @Delete()
  @ApiMcpDelete()
  end(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    return this.streamable.handle(req, res);
  }

  /** Any other method, after the same guards: 405 with the methods that exist. */
  @All()
  @ApiExcludeEndpoint()
  other(@Res({ passthrough: true }) res: ServerResponse): never {
    res.setHeader('Allow', 'GET, POST, DELETE');
    throw new JsonRpcHttpException(405, JsonRpcCode.ServerError, 'Method not allowed');
  }
}
