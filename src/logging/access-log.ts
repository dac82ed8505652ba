import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Level, Logger } from 'pino';
import type { Options } from 'pino-http';

/** Gives a request its id and logger (`req.log`), and logs it once its response is done. */
export type AccessLog = (req: IncomingMessage, res: ServerResponse) => void;

type Context = Record<string, unknown> | undefined;
type LoggedResponse = ServerResponse & { log?: Logger; err?: Error };

/**
 * pino-http's request logging — the same options, bindings, fields, levels and messages — with
 * one child logger per request. pino-http binds the request in one child and the request's
 * context (key label, session) in a child of that child; making a child of a fresh child costs
 * pino (and V8, which turns the first into a prototype) several times a plain child, more than
 * the rest of the line. Here the request and its context are bound at once, and a session the
 * request opened is named on its completion line as a field.
 *
 * `logger` must be the pino instance pino-http built from these options (`pinoHttp(options)
 * .logger`): it carries the wrapped request serializer.
 */
export function accessLog(logger: Logger, options: Options): AccessLog {
  const genReqId = options.genReqId as (req: IncomingMessage, res: ServerResponse) => unknown;
  const autoLogging = options.autoLogging;
  const ignore = typeof autoLogging === 'object' ? autoLogging.ignore : undefined;
  const contextOf = (options.customProps ?? (() => undefined)) as (
    req: IncomingMessage,
    res: ServerResponse,
  ) => Context;
  const levelOf = (options.customLogLevel ?? (() => 'info')) as (
    req: IncomingMessage,
    res: ServerResponse,
    error?: Error,
  ) => Level | 'silent';

  return (req: IncomingMessage, res: LoggedResponse) => {
    const request = req as { id?: unknown; log?: Logger };
    request.id ??= genReqId(req, res);
    const context = contextOf(req, res);
    const log = logger.child(context ? { req, ...context } : { req });
    request.log = log;
    res.log = log;
    if (autoLogging === false || ignore?.(req)) return;

    const started = Date.now();
    const done = (error?: Error) => {
      res.off('close', done);
      res.off('finish', done);
      res.off('error', done);
      const failure = error ?? res.err;
      const level = levelOf(req, res, failure);
      if (level === 'silent') return;
      const sessionId =
        context?.sessionId === undefined ? contextOf(req, res)?.sessionId : undefined;
      const fields = {
        ...(sessionId !== undefined && { sessionId }),
        res,
        responseTime: Date.now() - started,
      };
      if (failure || res.statusCode >= 500) {
        const err = failure ?? new Error(`failed with status code ${res.statusCode}`);
        log[level]({ ...fields, err }, 'request errored');
      } else {
        log[level](fields, 'request completed');
      }
    };
    res.on('close', done);
    res.on('finish', done);
    res.on('error', done);
  };
}
