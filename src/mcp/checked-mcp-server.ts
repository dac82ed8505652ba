import {
  type AuthInfo,
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  type JSONRPCMessage,
  McpServer,
  ProtocolErrorCode,
  type Transport,
} from '@modelcontextprotocol/server';
import { invalidParamsMessage, isModernRequest } from './request-params';

/** Longest error message sent back: the SDK quotes names it did not find ("Tool … not found"). */
export const MAX_ERROR_MESSAGE_LENGTH = 512;

/**
 * Told of every request and notification a client sends, with its transport's extra info
 * (undefined over stdio), before anything else looks at it.
 */
export type ReceivedMessageObserver = (
  method: string,
  extra: { authInfo?: AuthInfo } | undefined,
) => void;

const replays = new WeakSet<JSONRPCMessage>();

/**
 * Marks a message delivered again to a rebuilt server (a session's kept handshake): the server
 * reads it as before, but it is not shown to the observer, since the client sent it only once.
 */
export function asReplay<T extends JSONRPCMessage>(message: T): T {
  replays.add(message);
  return message;
}

/**
 * An McpServer that answers a request whose params do not fit the spec with Invalid params
 * (-32602) and one readable line, where the SDK answers Internal error (-32603) with a dump of
 * its validation issues. Every transport connects servers through `connect`, so the check sits
 * in front of every request, whatever the protocol era; valid requests pass untouched. Error
 * messages going out are cut to MAX_ERROR_MESSAGE_LENGTH, so a 1 MB tool, prompt or city name
 * is not sent back whole. Every message received is shown to the observer, if one is given: the
 * one place all transports pass; replays (see `asReplay`) are not.
 */
export class CheckedMcpServer extends McpServer {
  constructor(
    serverInfo: ConstructorParameters<typeof McpServer>[0],
    options?: ConstructorParameters<typeof McpServer>[1],
    private readonly observeReceived?: ReceivedMessageObserver,
  ) {
    super(serverInfo, options);
  }

  override async connect(transport: Transport): Promise<void> {
    await super.connect(transport);
    const send = transport.send.bind(transport);
    transport.send = (message, options) => send(withShortError(message), options);
    // The protocol layer has just installed its handler; the check goes in front of it.
    const dispatch = transport.onmessage;
    transport.onmessage = (message, extra) => {
      if ('method' in message && !replays.has(message)) {
        this.observeReceived?.(message.method, extra);
      }
      if (isJSONRPCRequest(message)) {
        const modern = isModernRequest(message, extra?.classification);
        const problem = invalidParamsMessage(message, modern);
        if (problem !== undefined) {
          const error = { code: ProtocolErrorCode.InvalidParams, message: problem };
          transport
            .send({ jsonrpc: '2.0', id: message.id, error }, { relatedRequestId: message.id })
            .catch((failure: unknown) => transport.onerror?.(failure as Error));
          return;
        }
      }
      dispatch?.(message, extra);
    };
  }
}

function withShortError(message: JSONRPCMessage): JSONRPCMessage {
  if (!isJSONRPCErrorResponse(message)) return message;
  const text = message.error.message;
  if (text.length <= MAX_ERROR_MESSAGE_LENGTH) return message;
  const short = `${text.slice(0, MAX_ERROR_MESSAGE_LENGTH - 1)}…`;
  return { ...message, error: { ...message.error, message: short } };
}
