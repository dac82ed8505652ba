import { Global, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { HttpExceptionFilter } from './filters/http-exception.filter';
import { RequestBodyGuard } from './request-body.guard';

/**
 * What every HTTP route shares: one exception filter turning every error into a JSON (or, on the
 * MCP routes, JSON-RPC) answer, and the body reader controllers declare after their other guards.
 */
@Global()
@Module({
  providers: [{ provide: APP_FILTER, useClass: HttpExceptionFilter }, RequestBodyGuard],
  exports: [RequestBodyGuard],
})
export class HttpEdgeModule {}
