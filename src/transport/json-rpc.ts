import { HttpException } from '@nestjs/common';
import type { Response } from 'express';
import { JsonRpcCode, jsonRpcErrorBody } from '../common/filters/http-exception.filter';

export { JsonRpcCode, jsonRpcErrorBody };

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

/** Thrown by guards on the MCP routes; the HTTP exception filter renders its body as is. */
export class JsonRpcHttpException extends HttpException {
  constructor(status: number, code: number, message: string) {
    super(jsonRpcErrorBody(code, message), status);
  }
}
