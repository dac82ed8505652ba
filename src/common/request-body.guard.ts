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
 * refused (400, Invalid Request) before it is parsed. An MCP `initialize` has a smaller limit of
 * its own, MAX_INITIALIZE_BYTES: a session keeps part of it for its whole life, so one larger is
 * refused here, before any session exists.
 */
@Injectable()
export class RequestBodyGuard implements CanActivate {
  constructor(@Inject(HTTP_CONFIG) private readonly config: HttpConfig) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<IncomingMessage & { body?: unknown }>();
    let text: string | undefined;
    if (hasBody(req)) {
      try {
        text = await this.read(req);
        // Before parsing: parsing a hostile nesting is what costs (a second and more for 4 MiB).
        if (jsonNestingExceeds(text, this.config.maxJsonDepth)) throw tooDeep(req, this.config);
        req.body = parse(text);
      } catch (error) {
        http.getResponse<ServerResponse>().setHeader('Connection', 'close');
        throw error;
      }
    }
    classifyBody(req, req.body);
    if (text !== undefined && exchangeOf(req) && carriesInitialize(req.body)) {
      this.limitInitialize(text);
    }
    return true;
  }

  private limitInitialize(text: string): void {
    const bytes = Buffer.byteLength(text);
    const limit = this.config.maxInitializeBytes;
    if (bytes <= limit) return;
    throw new JsonRpcHttpException(
      400,
      JsonRpcCode.InvalidRequest,
      `Invalid Request: the initialize message is ${bytes} bytes; at most ${limit} are accepted`,
    );
  }

  private async read(req: IncomingMessage): Promise<string> {
    const limit = this.config.maxBodyBytes;
    if (Number(req.headers['content-length']) > limit) throw tooLarge();
    if (!isJsonContentType(req.headers['content-type'])) {
      throw new UnsupportedMediaTypeException(
        'Unsupported Media Type: Content-Type must be application/json',
      );
    }
    try {
      // Read as bytes and decoded once complete: a body still arriving (a slow or stalled client)
      // is held outside the JS heap, and no partial strings are built along the way.
      return (await getRawBody(req, { limit })).toString('utf8');
    } catch (error) {
      if ((error as { type?: string }).type === 'entity.too.large') throw tooLarge();
      throw new BadRequestException('Bad Request: the body could not be read', { cause: error });
    }
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new BadRequestException('Parse error: the body is not valid JSON', { cause: error });
  }
}

/** Whether a parsed body is, or (in a batch) holds, an `initialize` message. */
function carriesInitialize(body: unknown): boolean {
  return (Array.isArray(body) ? body : [body]).some(
    (message) =>
      typeof message === 'object' &&
      message !== null &&
      (message as { method?: unknown }).method === 'initialize',
  );
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
