import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Level, Logger } from 'pino';
import type { Options } from 'pino-http';

/**
 * Gives a request its id and logger (`req.log`), and logs it once its response is done. Usable
 * as Express middleware.
 */
export type AccessLog = (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;

/** Fields a request's access line adds, computed when the response is done. */
export type LineFields = (
  req: IncomingMessage,
  res: ServerResponse,
) => Record<string, unknown> | undefined;

type LoggedResponse = ServerResponse & { log?: Logger; err?: Error };

/**
 * The server answers 503 only on purpose: draining, at its session limit, the session store
 * unreachable, a health check failing. That is an answer (a warning), not a failure of its own,
 * so its line carries no error and no stack trace; any other 5xx does.
 */
export function isRefusalOnPurpose(statusCode: number): boolean {
  return statusCode === 503;
}

/** Whether a response is the server failing: an error, or a 5xx it did not send on purpose. */
export function isServerFailure(statusCode: number, error?: unknown): boolean {
  return Boolean(error) || (statusCode >= 500 && !isRefusalOnPurpose(statusCode));
}

/**
 * pino-http's request logging — the same options, request binding, levels and messages — with
 * one child logger per request (pino-http makes a child of a child when the request has context,
 * which costs several times a plain child). The request's context (key label, session, the MCP
 * call and how it ended) is only complete once it is answered, so it goes on the completion line
 * as fields rather than into the child: every line names each field once.
 *
 * `logger` must be the pino instance pino-http built from these options (`pinoHttp(options)
 * .logger`): it carries the wrapped request serializer.
 */
export function accessLog(logger: Logger, options: Options, fieldsOf: LineFields): AccessLog {
  const genReqId = options.genReqId as (req: IncomingMessage, res: ServerResponse) => unknown;
  const autoLogging = options.autoLogging;
  const ignore = typeof autoLogging === 'object' ? autoLogging.ignore : undefined;
  const levelOf = (options.customLogLevel ?? (() => 'info')) as (
    req: IncomingMessage,
    res: ServerResponse,
    error?: Error,
  ) => Level | 'silent';

  return (req: IncomingMessage, res: LoggedResponse, next?: () => void) => {
    const request = req as { id?: unknown; log?: Logger };
    request.id ??= genReqId(req, res);
    const log = logger.child({ req });
    request.log = log;
    res.log = log;
    if (autoLogging !== false && !ignore?.(req)) {
      const started = Date.now();
      // 'close' comes last whether the response finished or its connection broke off.
      res.once('close', () => {
        const failure = res.err;
        const level = levelOf(req, res, failure);
        if (level === 'silent') return;
        const fields = { ...fieldsOf(req, res), res, responseTime: Date.now() - started };
        if (isServerFailure(res.statusCode, failure)) {
          const err = failure ?? new Error(`failed with status code ${res.statusCode}`);
          log[level]({ ...fields, err }, 'request errored');
        } else {
          log[level](fields, 'request completed');
        }
      });
    }
    next?.();
  };
}
