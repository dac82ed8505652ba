import { HttpException } from '@nestjs/common';
import type { Response } from 'express';

/** JSON-RPC error codes used at the HTTP edge. */
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

export function sendJsonRpcError(
  res: Response,
  status: number,
  code: number,
  message: string,
): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.status(status).json(jsonRpcErrorBody(code, message));
}

/** Thrown by guards and pipes on the MCP routes; Nest renders its body as is. */
export class JsonRpcHttpException extends HttpException {
  constructor(status: number, code: number, message: string) {
    super(jsonRpcErrorBody(code, message), status);
  }
}
