import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { JsonRpcCode, jsonRpcErrorBody } from './json-rpc';

/** On the MCP routes every failure is a JSON-RPC error body: never HTML, never a stack trace. */
@Catch()
export class JsonRpcExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(JsonRpcExceptionFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) {
      this.logger.error({ err: exception }, 'MCP request failed after the response started');
      res.end();
      return;
    }
    if (exception instanceof HttpException) {
      const body = exception.getResponse();
      const isJsonRpc = typeof body === 'object' && body !== null && 'jsonrpc' in body;
      res
        .status(exception.getStatus())
        .json(isJsonRpc ? body : jsonRpcErrorBody(JsonRpcCode.ServerError, exception.message));
      return;
    }
    this.logger.error({ err: exception }, 'MCP request failed');
    res.status(500).json(jsonRpcErrorBody(JsonRpcCode.InternalError, 'Internal error'));
  }
}
