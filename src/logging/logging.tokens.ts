/** The pino-http options, built once from the logging configuration. */
export const PINO_HTTP_OPTIONS = Symbol('PINO_HTTP_OPTIONS');

/** The request logger (an `AccessLog`) on those options, for routes served outside Express. */
export const HTTP_LOGGER = Symbol('HTTP_LOGGER');

export type { AccessLog as HttpLogger } from './access-log';
