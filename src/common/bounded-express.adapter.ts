import { ExpressAdapter } from '@nestjs/platform-express';
import http from 'node:http';
import type { HttpConfig } from '../config/configuration.types';

/**
 * Express, on a Node HTTP server with the configured bounds: a client must send its headers and
 * its whole request in time (slowloris sockets and bodies that never end are cut), idle
 * keep-alive sockets close, and open connections are capped. Timeouts are checked at a quarter of
 * the shorter one, not Node's default of every 30 s, so a slow socket is gone soon after its time.
 */
export class BoundedExpressAdapter extends ExpressAdapter {
  constructor(
    private readonly limits: Pick<
      HttpConfig,
      'headersTimeoutMs' | 'requestTimeoutMs' | 'keepAliveTimeoutMs' | 'maxConnections'
    >,
  ) {
    super();
  }

  override initHttpServer(): void {
    const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, maxConnections } = this.limits;
    const server = http.createServer(
      {
        headersTimeout: headersTimeoutMs,
        requestTimeout: requestTimeoutMs,
        keepAliveTimeout: keepAliveTimeoutMs,
        connectionsCheckingInterval: checkingIntervalMs(headersTimeoutMs, requestTimeoutMs),
      },
      this.getInstance(),
    );
    server.maxConnections = maxConnections;
    this.setHttpServer(server);
  }

  /** Every socket goes at shutdown, open streams included: the sessions on them are closed. */
  override close(): Promise<unknown> | undefined {
    (this.getHttpServer() as http.Server | undefined)?.closeAllConnections();
    return super.close();
  }
}

export function checkingIntervalMs(headersTimeoutMs: number, requestTimeoutMs: number): number {
  return Math.min(30_000, Math.max(250, Math.min(headersTimeoutMs, requestTimeoutMs) / 4));
}
