import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import type { RecordedTransport, SessionRecord } from './session-directory.interface';

/** Hash fields of the kept handshake messages, by method: each replaced on its own. */
const HANDSHAKE_FIELDS: Record<string, string> = {
  initialize: 'h:initialize',
  'notifications/initialized': 'h:initialized',
  'logging/setLevel': 'h:level',
};
/** Replay order: initialize first, then initialized, then the latest logging level. */
const HANDSHAKE_ORDER = Object.values(HANDSHAKE_FIELDS);

/** A session id as this server makes them (UUIDs); anything else is never looked up. */
export function plausibleSessionId(id: string): boolean {
  return /^[A-Za-z0-9-]{1,64}$/.test(id);
}

/** The hash field a kept handshake message is stored under, or undefined if it is not one. */
export function handshakeField(message: JSONRPCMessage): string | undefined {
  const { method } = message as { method?: string };
  return method === undefined ? undefined : HANDSHAKE_FIELDS[method];
}

/** The record as Redis hash fields (flat strings; null becomes an absent field). */
export function recordFields(record: SessionRecord): string[] {
  const fields: string[] = [
    'id',
    record.id,
    'transport',
    record.transport,
    'keyLabel',
    record.keyLabel,
    'openedAt',
    String(record.openedAt),
    'replica',
    record.replica,
  ];
  if (record.protocolVersion !== null) fields.push('protocolVersion', record.protocolVersion);
  if (record.clientName !== null) fields.push('clientName', record.clientName);
  if (record.clientVersion !== null) fields.push('clientVersion', record.clientVersion);
  for (const message of record.handshake) {
    const field = handshakeField(message);
    if (field) fields.push(field, JSON.stringify(message));
  }
  return fields;
}

/** The record read back from its hash; undefined when the hash is missing or not a record. */
export function recordFromFields(hash: Record<string, string>): SessionRecord | undefined {
  const { id, transport, keyLabel, openedAt, replica } = hash;
  if (!id || !keyLabel || !replica || (transport !== 'streamable-http' && transport !== 'sse')) {
    return undefined;
  }
  const handshake: JSONRPCMessage[] = [];
  for (const field of HANDSHAKE_ORDER) {
    if (hash[field] === undefined) continue;
    try {
      handshake.push(JSON.parse(hash[field]) as JSONRPCMessage);
    } catch {
      // A field that does not parse is left out: the rebuilt server has less to replay.
    }
  }
  return {
    id,
    transport: transport as RecordedTransport,
    keyLabel,
    protocolVersion: hash.protocolVersion ?? null,
    clientName: hash.clientName ?? null,
    clientVersion: hash.clientVersion ?? null,
    openedAt: Number(openedAt) || 0,
    replica,
    handshake,
  };
}
