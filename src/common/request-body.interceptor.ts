import {
  CallHandler,
  ExecutionContext,
  Inject,
  Injectable,
  NestInterceptor,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { isJsonContentType } from '@modelcontextprotocol/server';
import bodyParser from 'body-parser';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Observable } from 'rxjs';
import { HTTP_CONFIG } from '../config/app-config.module';
import type { HttpConfig } from '../config/configuration.types';
import { classifyBody } from './mcp-exchange';

type Reader = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * Reads request bodies, after the guards: a caller without a valid key, or over its rate limit,
 * never has its body read. Every route takes JSON and nothing else. A body over MAX_BODY_BYTES is
 * refused from its declared length without being read, or cut once the limit is reached; a body
 * of another type is refused unread. A refused body closes the connection, so the rest of it is
 * never drained either.
 */
@Injectable()
export class RequestBodyInterceptor implements NestInterceptor {
  private readonly readJson: Reader;

  constructor(@Inject(HTTP_CONFIG) private readonly config: HttpConfig) {
    this.readJson = bodyParser.json({ limit: config.maxBodyBytes }) as Reader;
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const http = context.switchToHttp();
    const req = http.getRequest<IncomingMessage & { body?: unknown }>();
    if (hasBody(req)) {
      const res = http.getResponse<ServerResponse>();
      try {
        await this.read(req, res);
      } catch (error) {
        res.setHeader('Connection', 'close');
        throw error;
      }
    }
    classifyBody(req, req.body);
    return next.handle();
  }

  private async read(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const declared = Number(req.headers['content-length']);
    if (declared > this.config.maxBodyBytes) {
      throw new PayloadTooLargeException('Request body too large');
    }
    if (!isJsonContentType(req.headers['content-type'])) {
      throw new UnsupportedMediaTypeException(
        'Unsupported Media Type: Content-Type must be application/json',
      );
    }
    await new Promise<void>((resolve, reject) =>
      this.readJson(req, res, (error) => (error ? reject(error as Error) : resolve())),
    );
  }
}

/** Whether a request carries a body at all (the test body-parser itself uses). */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
