import {
  type ClientCapabilities,
  type Implementation,
  type InitializeRequest,
  isInitializeRequest,
  isSpecType,
  type JSONObject,
  type JSONRPCMessage,
  type JSONRPCRequest,
} from '@modelcontextprotocol/server';

/** The client messages that shape a session's server; replayed, in order, into a rebuilt one. */
export const HANDSHAKE_METHODS = new Set([
  'initialize',
  'notifications/initialized',
  'logging/setLevel',
]);

/** Longest client name or version a session keeps, shows (admin API) and logs. */
export const MAX_CLIENT_STRING_LENGTH = 128;
/** Real protocol versions are dates; a longer string is unsupported whatever follows. */
const MAX_PROTOCOL_VERSION_LENGTH = 64;

/** A client-chosen string, cut to a bounded length; null when it is not a string at all. */
export function boundedClientString(value: unknown): string | null {
  return typeof value === 'string' ? prefix(value, MAX_CLIENT_STRING_LENGTH) : null;
}

/**
 * The start of a string, as a string of its own: V8 makes a longer substring a view into the
 * original, which would keep a megabyte name alive to show 128 characters of it.
 */
function prefix(value: string, length: number): string {
  return value.length <= length ? value : Buffer.from(value.slice(0, length)).toString();
}

/**
 * The message a session's server is handed: a valid `initialize` without what the server never
 * reads (see `keptInitialize`), so a live server holds no more of it than a replayed one. Every
 * other message, and an invalid `initialize` (the server refuses it with its own error), as sent.
 */
export function deliverable(message: JSONRPCMessage): JSONRPCMessage {
  return isInitialize(message) ? keptInitialize(message) : message;
}

/**
 * What a session keeps of a handshake message to replay into a rebuilt server, or undefined when
 * there is nothing to keep: a message the server refuses (an invalid `initialize` or logging
 * level) leaves it as it was. Request ids are the session's own: the answers to a replay are
 * never sent, and a client's id can be as long as its body.
 */
export function replayCopy(message: JSONRPCMessage): JSONRPCMessage | undefined {
  const { method } = message as { method?: string };
  if (method === 'initialize') {
    return isInitialize(message)
      ? { ...keptInitialize(message), id: 'replay:initialize' }
      : undefined;
  }
  if (method === 'notifications/initialized') {
    return { jsonrpc: '2.0', method };
  }
  if (method === 'logging/setLevel') {
    return 'id' in message && isSpecType.SetLevelRequest(message)
      ? {
          jsonrpc: '2.0',
          id: 'replay:logging/setLevel',
          method,
          params: { level: message.params.level },
        }
      : undefined;
  }
  return undefined;
}

/** A valid `initialize` request (one sent as a notification is ignored by the server). */
function isInitialize(message: JSONRPCMessage): message is JSONRPCRequest & InitializeRequest {
  return 'id' in message && isInitializeRequest(message);
}

/**
 * An `initialize` with what a 2025-era server reads of it: the protocol version it negotiates,
 * the client's name and version (cut to a bounded length), and which of the capabilities it
 * checks before asking the client something (sampling, elicitation, roots) the client declared.
 * Everything else — `experimental` and `extensions` objects, icons, `_meta` — can be as large as
 * the body and is not kept.
 */
function keptInitialize(message: JSONRPCRequest & InitializeRequest): JSONRPCMessage {
  const { protocolVersion, capabilities, clientInfo } = message.params;
  const client: Implementation = {
    name: prefix(clientInfo.name, MAX_CLIENT_STRING_LENGTH),
    version: prefix(clientInfo.version, MAX_CLIENT_STRING_LENGTH),
  };
  return {
    jsonrpc: '2.0',
    id: message.id,
    method: 'initialize',
    params: {
      protocolVersion: prefix(protocolVersion, MAX_PROTOCOL_VERSION_LENGTH),
      capabilities: checkedCapabilities(capabilities),
      clientInfo: client,
    },
  };
}

function checkedCapabilities(capabilities: ClientCapabilities): ClientCapabilities {
  const kept: ClientCapabilities = {};
  if (capabilities.sampling) {
    kept.sampling = presence(capabilities.sampling, ['context', 'tools']);
  }
  if (capabilities.elicitation) {
    kept.elicitation = presence(capabilities.elicitation, ['form', 'url']);
  }
  if (capabilities.roots) {
    const { listChanged } = capabilities.roots;
    kept.roots = listChanged === undefined ? {} : { listChanged };
  }
  return kept;
}

/** Which of these sub-capabilities are declared, each as an empty object. */
function presence(declared: object, keys: string[]): Record<string, JSONObject> {
  const present: Record<string, JSONObject> = {};
  for (const key of keys) {
    if ((declared as Record<string, unknown>)[key] !== undefined) present[key] = {};
  }
  return present;
}
