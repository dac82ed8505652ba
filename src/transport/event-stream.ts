/** The comment frame sent on idle event streams, on both transports, so proxies keep them open. */
export const KEEP_ALIVE_COMMENT = ': keep-alive\n\n';
