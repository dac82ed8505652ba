import type { CallObserver } from '../call-observer';
import type { McpServer } from '@modelcontextprotocol/server';
import {
  ProtocolError,
  ProtocolErrorCode,
  ResourceNotFoundError,
} from '@modelcontextprotocol/server';
import { UnknownCityError } from '../../aareguru/aareguru.errors';
import { HistoryRangeError } from '../../domain/history-dates';
import type { Cached } from '../../aareguru/cache/upstream-cache.service';
import { freshnessOf } from '../../aare/report-mapping';
import { describeFailure } from '../mcp-errors';

/** A resource registers itself on a server; the factory calls this once per server instance. */
export interface AareResource {
  register(server: McpServer, observer: CallObserver): void;
}

export const JSON_MIME = 'application/json';

/** Resource body: the upstream data and how fresh it is. */
export function jsonContents(uri: URL, answer: Cached<unknown>) {
  const body = { data: answer.value, source: freshnessOf(answer) };
  return { contents: [{ uri: uri.href, mimeType: JSON_MIME, text: JSON.stringify(body) }] };
}

/**
 * Runs a read and maps failures to protocol errors: an unknown city is "resource not found"; a
 * time range that cannot be served is invalid params, with the reason; anything else an internal
 * error with a plain message.
 */
export async function readOrFail<T>(uri: URL, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    // The domain error stays as the cause, for the metrics to tell whose failure it was.
    if (error instanceof UnknownCityError) {
      throw Object.assign(new ResourceNotFoundError(uri.href, error.message), { cause: error });
    }
    if (error instanceof HistoryRangeError) {
      throw Object.assign(new ProtocolError(ProtocolErrorCode.InvalidParams, error.message), {
        cause: error,
      });
    }
    throw Object.assign(
      new ProtocolError(ProtocolErrorCode.InternalError, describeFailure(error).message),
      { cause: error },
    );
  }
}
