import http from 'node:http';
import https from 'node:https';
import { UpstreamError } from './aareguru.errors';

export interface HttpGetOptions {
  agent: http.Agent;
  signal: AbortSignal;
  /** Guards memory against a runaway body. */
  maxBytes: number;
  headers?: Record<string, string>;
}

const NETWORK_CODES_SAID_PLAINLY: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed',
};

/**
 * One GET that resolves to parsed JSON or rejects with a typed UpstreamError. node:http with a
 * keep-alive agent: no per-request TLS handshake and no extra dependency.
 */
export function httpGetJson(
  url: URL,
  endpoint: string,
  options: HttpGetOptions,
): Promise<{ status: number; body: unknown }> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(
      url,
      {
        agent: options.agent,
        signal: options.signal,
        headers: { accept: 'application/json', ...options.headers },
      },
      (response) => {
        const status = response.statusCode ?? 0;
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) {
            response.destroy();
            reject(
              new UpstreamError(
                'malformed',
                endpoint,
                `response larger than ${options.maxBytes} bytes`,
              ),
            );
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', (error) => reject(networkError(endpoint, error)));
        response.on('end', () => {
          if (status < 200 || status >= 300) {
            reject(new UpstreamError('http', endpoint, `HTTP ${status}`, status));
            return;
          }
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status, body: JSON.parse(text) as unknown });
          } catch (error) {
            reject(
              new UpstreamError('malformed', endpoint, 'response is not valid JSON', status, {
                cause: error,
              }),
            );
          }
        });
      },
    );
    request.on('error', (error) => reject(networkError(endpoint, error)));
  });
}

function networkError(endpoint: string, error: NodeJS.ErrnoException): UpstreamError {
  if (error.name === 'AbortError') {
    return new UpstreamError('timeout', endpoint, 'request aborted', undefined, { cause: error });
  }
  const said = (error.code && NETWORK_CODES_SAID_PLAINLY[error.code]) ?? error.message;
  return new UpstreamError('network', endpoint, said || 'network error', undefined, {
    cause: error,
  });
}
