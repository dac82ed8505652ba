import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  Injectable,
  Logger,
} from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { isRefusalOnPurpose } from '../../logging/access-log';
import { HTTP_REJECTED_REQUESTS } from '../../metrics/app.metrics';
import { exchangeOf } from '../mcp-exchange';
import { redactUrl } from '../request-path';
import { JsonRpcCode, JsonRpcHttpException, jsonRpcErrorBody, sendJson } from '../json-rpc';

interface BodyParserError {
  type?: string;
  status?: number;
}

/**
 * The one place that turns an error into an HTTP answer: JSON everywhere, JSON-RPC error objects
 * on the MCP routes (the request's MCP exchange says which those are), never an HTML page and
 * never a stack trace. Body-parser failures (invalid JSON, too large) arrive here too.
 */
@Catch()
@Injectable()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpExceptionFilter.name);

  /** `rejected`: http_rejected_requests_total, where a too-large body counts as `body`. */
  constructor(
    @InjectMetric(HTTP_REJECTED_REQUESTS.name) private readonly rejected: Counter<'reason'>,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    this.render(
      exception,
      http.getRequest<IncomingMessage & { originalUrl?: string }>(),
      http.getResponse<ServerResponse>(),
    );
  }

  render(
    exception: unknown,
    req: IncomingMessage & { originalUrl?: string },
    res: ServerResponse,
  ): void {
    const status = statusOf(exception);
    if (status === 413) this.rejected.inc({ reason: 'body' });
    // A 503 the server chose to send (a health check failing, draining, full, the session store
    // unreachable) is an answer, not a failure of its own: nothing here, and its access line (if
    // the route is logged at all: probes are not) is a warning without a stack trace.
    if (status >= 500 && !(exception instanceof HttpException && isRefusalOnPurpose(status))) {
      this.logger.error(
        { err: exception, url: redactUrl(req.originalUrl ?? req.url) },
        'request failed',
      );
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    if (exception instanceof JsonRpcHttpException) {
      for (const [name, value] of Object.entries(exception.headers ?? {}))
        res.setHeader(name, value);
    }
    const body = exchangeOf(req)
      ? jsonRpcBodyFor(exception, status)
      : plainBodyFor(exception, status);
    sendJson(res, status, body);
  }
}

function statusOf(exception: unknown): number {
  if (exception instanceof HttpException) return exception.getStatus();
  const status = (exception as BodyParserError)?.status;
  return typeof status === 'number' && status >= 400 && status < 600 ? status : 500;
}

function parserErrorType(exception: unknown): string | undefined {
  const direct = (exception as BodyParserError)?.type;
  const cause =
    exception instanceof HttpException ? (exception.cause as BodyParserError) : undefined;
  return direct ?? cause?.type;
}

function jsonRpcBodyFor(exception: unknown, status: number) {
  if (exception instanceof HttpException) {
    const response = exception.getResponse();
    if (typeof response === 'object' && response !== null && 'jsonrpc' in response) return response;
  }
  const type = parserErrorType(exception);
  if (type === 'entity.parse.failed' || (status === 400 && isSyntaxError(exception))) {
    return jsonRpcErrorBody(JsonRpcCode.ParseError, 'Parse error: the body is not valid JSON');
  }
  if (status === 413) return jsonRpcErrorBody(JsonRpcCode.InvalidRequest, 'Request body too large');
  // A 503 the server chose to send says why (and Retry-After says when); any other 5xx is ours.
  const onPurpose = exception instanceof HttpException && isRefusalOnPurpose(status);
  if (status >= 500 && !onPurpose)
    return jsonRpcErrorBody(JsonRpcCode.InternalError, 'Internal error');
  return jsonRpcErrorBody(JsonRpcCode.ServerError, messageOf(exception));
}

function plainBodyFor(exception: unknown, status: number) {
  if (exception instanceof HttpException) {
    const response = exception.getResponse();
    return typeof response === 'object' ? response : { statusCode: status, message: response };
  }
  return {
    statusCode: status,
    message: status >= 500 ? 'Internal server error' : messageOf(exception),
  };
}

function isSyntaxError(exception: unknown): boolean {
  return (
    exception instanceof SyntaxError ||
    (exception instanceof HttpException && exception.cause instanceof SyntaxError) ||
    (exception instanceof HttpException && /JSON/.test(exception.message))
  );
}

function messageOf(exception: unknown): string {
  return exception instanceof Error ? exception.message : 'Request failed';
}
