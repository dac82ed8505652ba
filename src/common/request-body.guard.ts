import {
  BadRequestException,
  CanActivate,
  ExecutionContext,
  HttpException,
  Inject,
  Injectable,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { isJsonContentType } from '@modelcontextprotocol/server';
import type { IncomingMessage, ServerResponse } from 'node:http';
import getRawBody from 'raw-body';
import { HTTP_CONFIG } from '../config/app-config.module';
import type { HttpConfig } from '../config/configuration.types';
import { JsonRpcCode, JsonRpcHttpException } from './json-rpc';
import { jsonNestingExceeds } from './json-depth';
import { classifyBody, exchangeOf } from './mcp-exchange';

/**
 * Reads the request body, as the last step of the checks before a handler: declared after the
 * Host/Origin, key and rate-limit guards, so a caller without a valid key, or over its rate
 * limit, never has its body read (an interceptor would do the same, at several times the cost
 * per request). It refuses what it cannot accept: routes take JSON and nothing else. A body over MAX_BODY_BYTES is
 * refused from its declared length without being read, or as soon as what arrived passes the
 * limit (a chunked body); a body of another type is refused unread. A refused body closes the
 * connection, so the rest of it is never read either. JSON nested deeper than MAX_JSON_DEPTH is
 * refused (400, Invalid Request) before it is parsed.
 */
@Injectable()
export class RequestBodyGuard implements CanActivate {
  constructor(@Inject(HTTP_CONFIG) private readonly config: HttpConfig) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<IncomingMessage & { body?: unknown }>();
    if (hasBody(req)) {
      try {
        req.body = await this.read(req);
      } catch (error) {
        http.getResponse<ServerResponse>().setHeader('Connection', 'close');
        throw error;
      }
    }
    classifyBody(req, req.body);
    return true;
  }

  private async read(req: IncomingMessage): Promise<unknown> {
    const limit = this.config.maxBodyBytes;
    if (Number(req.headers['content-length']) > limit) throw tooLarge();
    if (!isJsonContentType(req.headers['content-type'])) {
      throw new UnsupportedMediaTypeException(
        'Unsupported Media Type: Content-Type must be application/json',
      );
    }
    let text: string;
    try {
      text = await getRawBody(req, { limit, encoding: 'utf8' });
    } catch (error) {
      if ((error as { type?: string }).type === 'entity.too.large') throw tooLarge();
      throw new BadRequestException('Bad Request: the body could not be read', { cause: error });
    }
    // Before parsing: parsing a hostile nesting is what costs (a second and more for 4 MiB).
    if (jsonNestingExceeds(text, this.config.maxJsonDepth)) throw tooDeep(req, this.config);
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new BadRequestException('Parse error: the body is not valid JSON', { cause: error });
    }
  }
}

/** Nothing handles nesting that deep well: the SDK failed with 500 on 30,000 levels. */
function tooDeep(req: IncomingMessage, config: HttpConfig): HttpException {
  const message = `JSON nested deeper than ${config.maxJsonDepth} levels (MAX_JSON_DEPTH)`;
  return exchangeOf(req)
    ? new JsonRpcHttpException(400, JsonRpcCode.InvalidRequest, `Invalid Request: ${message}`)
    : new BadRequestException(`Bad Request: ${message}`);
}

function tooLarge(): PayloadTooLargeException {
  return new PayloadTooLargeException('Request body too large');
}

/** Whether a request carries a body at all (the test body-parser uses too). */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
