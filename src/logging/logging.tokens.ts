/** The pino-http options, built once from the logging configuration. */
export const PINO_HTTP_OPTIONS = Symbol('PINO_HTTP_OPTIONS');

/** The root logger pino-http builds from those options (its request serializer wrapped). */
export const REQUEST_LOGGER = Symbol('REQUEST_LOGGER');
/** The access log (an `AccessLog`): request id, child logger, one line per request. */
export const HTTP_LOGGER = Symbol('HTTP_LOGGER');

export type { AccessLog as HttpLogger } from './access-log';
