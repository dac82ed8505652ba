import type { ServerResponse } from 'node:http';
import { JsonRpcCode, sendJson } from '../common/json-rpc';

type RequestId = string | number;

/**
 * Requests served each on its own response (2026-07-28 stateless traffic), tracked while they
 * run so that when the server stops, those still running are answered with a JSON-RPC error of
 * their own before their handlers are torn down, rather than cut off without an answer.
 */
export class RunningRequests {
  private readonly running = new Map<ServerResponse, RequestId>();
  private readonly answered = new WeakSet<ServerResponse>();

  get size(): number {
    return this.running.size;
  }

  /** Serves a request (a parsed body) through `serve`, tracked until it is done. */
  async serve(res: ServerResponse, body: unknown, serve: () => Promise<void>): Promise<void> {
    const id = requestIdOf(body);
    if (id === undefined) return serve();
    this.running.set(res, id);
    try {
      await serve();
    } catch (error) {
      // Answered already: what the handler tried to send after that had nowhere to go.
      if (!this.answered.has(res)) throw error;
    } finally {
      this.running.delete(res);
    }
  }

  /**
   * Answers every request still running whose answer has not begun with this message (error
   * -32000); returns how many. One whose event stream is already open (it sent notifications
   * first) is left to end with its handler: what the stream is cannot be told from outside.
   */
  answerAll(message: string): number {
    let count = 0;
    for (const [res, id] of this.running) {
      if (res.headersSent || res.writableEnded || res.destroyed) continue;
      this.answered.add(res);
      sendJson(res, 200, { jsonrpc: '2.0', id, error: { code: JsonRpcCode.ServerError, message } });
      count += 1;
    }
    this.running.clear();
    return count;
  }
}

/** The id of a single JSON-RPC request; undefined for a notification, a response or a batch. */
function requestIdOf(body: unknown): RequestId | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const { id, method } = body as { id?: unknown; method?: unknown };
  if (typeof method !== 'string') return undefined;
  return typeof id === 'string' || typeof id === 'number' ? id : undefined;
}
