import { All, Controller, Delete, Get, Post, Req, Res, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { McpThrottlerGuard } from '../throttling/mcp-throttler.guard';
import { HostOriginGuard } from './host-origin.guard';
import { JsonRpcCode, sendJsonRpcError } from './json-rpc';
import { SseService } from './sse.service';
import { StreamableHttpService } from './streamable-http.service';

/** The MCP HTTP endpoints. Each handler hands the raw request to its transport service. */
@ApiExcludeController()
@Controller()
// Order matters: Host/Origin first, then who is calling, then how often they may.
@UseGuards(HostOriginGuard, ApiKeyGuard, McpThrottlerGuard)
export class McpHttpController {
  constructor(
    private readonly streamable: StreamableHttpService,
    private readonly sse: SseService,
  ) {}

  @Post('mcp')
  post(@Req() req: Request, @Res() res: Response) {
    return this.streamable.handle(req, res);
  }

  @Get('mcp')
  stream(@Req() req: Request, @Res() res: Response) {
    return this.streamable.handle(req, res);
  }

  @Delete('mcp')
  end(@Req() req: Request, @Res() res: Response) {
    return this.streamable.handle(req, res);
  }

  @All('mcp')
  otherMethod(@Res() res: Response) {
    res.setHeader('Allow', 'GET, POST, DELETE');
    sendJsonRpcError(res, 405, JsonRpcCode.ServerError, 'Method not allowed');
  }

  @Get('sse')
  openSse(@Req() req: Request, @Res() res: Response) {
    return this.sse.open(req, res);
  }

  @Post('messages')
  message(@Req() req: Request, @Res() res: Response) {
    return this.sse.post(req, res);
  }
}
