import { HttpException } from '@nestjs/common';
import type { ServerResponse } from 'node:http';

export const JsonRpcCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  /** Transport-level errors (bad session header, forbidden Host/Origin…). */
  ServerError: -32000,
  /** Unknown or ended session. */
  SessionNotFound: -32001,
  InternalError: -32603,
} as const;

export function jsonRpcErrorBody(code: number, message: string) {
  return { jsonrpc: '2.0' as const, error: { code, message }, id: null };
}

/** A JSON answer on a plain Node response (Express's `res.json` is not always there). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(payload));
  res.end(payload);
}

export function sendJsonRpcError(
  res: ServerResponse,
  status: number,
  code: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  sendJson(res, status, jsonRpcErrorBody(code, message));
}

/** 503 with Retry-After for a session that may not be opened now. */
export function sendAdmissionError(
  res: ServerResponse,
  error: { message: string; retryAfterSeconds: number },
): void {
  sendJsonRpcError(res, 503, JsonRpcCode.ServerError, error.message, {
    'Retry-After': String(error.retryAfterSeconds),
  });
}

/** Thrown at the MCP edge; the exception filter renders its body as is. */
export class JsonRpcHttpException extends HttpException {
  constructor(status: number, code: number, message: string, headers?: Record<string, string>) {
    super(jsonRpcErrorBody(code, message), status);
    this.headers = headers;
  }
  readonly headers?: Record<string, string>;
}
