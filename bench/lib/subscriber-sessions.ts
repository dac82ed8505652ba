import type http from 'node:http';
import { PROTOCOL_2025 } from './load';
import { openGetStream, openStreamableSession, post, send } from './raw-sessions';

const UPDATED = 'notifications/resources/updated';

/**
 * A 2025 Streamable HTTP session as a subscribing client holds it: initialized, its standalone
 * GET stream open and read, subscribed to one resource. It counts the notifications that arrive
 * on the stream, by URI.
 */
export class SubscriberSession {
  /** `notifications/resources/updated` received, by URI. */
  readonly updates = new Map<string, number>();
  /** Any other notification received, by method (list_changed would land here). */
  readonly others = new Map<string, number>();
  private buffer = '';

  private constructor(
    private readonly base: string,
    readonly id: string,
    private readonly headers: Record<string, string>,
    private readonly stream: { res: http.IncomingMessage; close(): void },
  ) {
    stream.res.setEncoding('utf8');
    stream.res.on('data', (chunk: string) => this.receive(chunk));
    // The server ending the stream early shows up as missing notifications, not a crash here.
    stream.res.on('error', () => undefined);
  }

  static async open(base: string, headers: Record<string, string>): Promise<SubscriberSession> {
    const id = await openStreamableSession(base, headers);
    const stream = await openGetStream(base, id, headers);
    return new SubscriberSession(base, id, headers, stream);
  }

  /** `resources/subscribe`; throws with the server's answer when it is not a result. */
  async subscribe(uri: string): Promise<void> {
    const reply = await post(
      `${this.base}/mcp`,
      { jsonrpc: '2.0', id: 1, method: 'resources/subscribe', params: { uri } },
      this.sessionHeaders(),
    );
    const answer = jsonRpcAnswer(reply.body) as { result?: unknown } | undefined;
    if (reply.status !== 200 || answer?.result === undefined) {
      throw new Error(`subscribe ${uri} answered ${reply.status}: ${reply.body.slice(0, 300)}`);
    }
  }

  received(uri: string): number {
    return this.updates.get(uri) ?? 0;
  }

  get totalReceived(): number {
    let total = 0;
    for (const count of this.updates.values()) total += count;
    return total;
  }

  /** Closes the stream and ends the session (DELETE), so the server drops its subscription. */
  async close(): Promise<void> {
    this.stream.close();
    await send(`${this.base}/mcp`, 'DELETE', undefined, this.sessionHeaders()).catch(
      () => undefined,
    );
  }

  private sessionHeaders(): Record<string, string> {
    return { ...this.headers, 'mcp-session-id': this.id, 'mcp-protocol-version': PROTOCOL_2025 };
  }

  /** Server-sent events: blank-line separated, `data:` lines joined; comments and ids ignored. */
  private receive(chunk: string): void {
    this.buffer += chunk.replace(/\r\n/g, '\n');
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const event = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      const data = event
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (!data) continue;
      let message: { method?: string; params?: { uri?: string } };
      try {
        message = JSON.parse(data) as typeof message;
      } catch {
        continue; // a priming event carries no JSON-RPC message
      }
      if (!message.method) continue;
      const counts = message.method === UPDATED ? this.updates : this.others;
      const key = message.method === UPDATED ? String(message.params?.uri) : message.method;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
}

/** The JSON-RPC message of a POST answer, sent as JSON or as one event of an SSE stream. */
function jsonRpcAnswer(body: string): unknown {
  const trimmed = body.trim();
  if (trimmed.startsWith('{')) return JSON.parse(trimmed);
  const data = /^data:\s*(\{.*\})\s*$/m.exec(body)?.[1];
  return data ? JSON.parse(data) : undefined;
}

/** Opens `count` subscribers, `batch` at a time, the i-th subscribed to `uriOf(i)`. */
export async function openSubscribers(
  base: string,
  headers: Record<string, string>,
  count: number,
  uriOf: (index: number) => string,
  batch = 50,
): Promise<{ session: SubscriberSession; uri: string }[]> {
  const opened: { session: SubscriberSession; uri: string }[] = [];
  for (let first = 0; first < count; first += batch) {
    const group = await Promise.all(
      Array.from({ length: Math.min(batch, count - first) }, async (_, offset) => {
        const uri = uriOf(first + offset);
        const session = await SubscriberSession.open(base, headers);
        await session.subscribe(uri);
        return { session, uri };
      }),
    );
    opened.push(...group);
  }
  return opened;
}
