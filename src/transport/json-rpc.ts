import { HttpException } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { JsonRpcCode, jsonRpcErrorBody, sendJson } from '../common/filters/http-exception.filter';

export { JsonRpcCode, jsonRpcErrorBody };

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

/** Thrown by guards on the MCP routes; the HTTP exception filter renders its body as is. */
export class JsonRpcHttpException extends HttpException {
  constructor(status: number, code: number, message: string) {
    super(jsonRpcErrorBody(code, message), status);
  }
}
