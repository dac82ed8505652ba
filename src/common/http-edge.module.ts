import { Module } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { HttpExceptionFilter } from './filters/http-exception.filter';
import { RequestBodyInterceptor } from './request-body.interceptor';

/**
 * What every HTTP route gets from Nest itself: bodies read after the guards, and one exception
 * filter turning every error into a JSON (or, on the MCP routes, JSON-RPC) answer.
 */
@Module({
  providers: [
    { provide: APP_FILTER, useClass: HttpExceptionFilter },
    { provide: APP_INTERCEPTOR, useClass: RequestBodyInterceptor },
  ],
})
export class HttpEdgeModule {}
