import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { plausibleSessionId, recordFields, recordFromFields } from './session-record';
import type { SessionRecord } from './session-directory.interface';

const handshake: JSONRPCMessage[] = [
  { jsonrpc: '2.0', id: 'replay:initialize', method: 'initialize', params: {} },
  { jsonrpc: '2.0', method: 'notifications/initialized' },
  {
    jsonrpc: '2.0',
    id: 'replay:logging/setLevel',
    method: 'logging/setLevel',
    params: { level: 'debug' },
  },
];

const RECORD: SessionRecord = {
  id: 'abc',
  transport: 'streamable-http',
  keyLabel: 'team:a',
  protocolVersion: '2025-06-18',
  clientName: null,
  clientVersion: '1.0',
  openedAt: 1234,
  replica: 'host-1',
  handshake,
};

function hash(fields: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < fields.length; i += 2) out[fields[i]] = fields[i + 1];
  return out;
}

describe('session records as Redis hash fields', () => {
  it('round-trips, nulls as absent fields, the handshake in replay order', () => {
    const fields = hash(recordFields(RECORD));
    expect(fields.clientName).toBeUndefined();
    expect(recordFromFields(fields)).toEqual(RECORD);
    // Hash field order does not matter: initialize always comes first.
    const reversed = Object.fromEntries(Object.entries(fields).reverse());
    expect(recordFromFields(reversed)!.handshake).toEqual(handshake);
  });

  it('is not a record when the hash is missing or incomplete', () => {
    expect(recordFromFields({})).toBeUndefined();
    expect(
      recordFromFields({ ...hash(recordFields(RECORD)), transport: 'listen' }),
    ).toBeUndefined();
  });

  it('leaves out a handshake field that does not parse', () => {
    const fields = { ...hash(recordFields(RECORD)), 'h:level': '{' };
    expect(recordFromFields(fields)!.handshake).toEqual(handshake.slice(0, 2));
  });

  it('looks up only ids shaped like the ones the server makes', () => {
    expect(plausibleSessionId('6f1c1d2e-6a39-4a7e-9d57-4a0f3a2b1c0d')).toBe(true);
    expect(plausibleSessionId('')).toBe(false);
    expect(plausibleSessionId('a'.repeat(65))).toBe(false);
    expect(plausibleSessionId('a:b')).toBe(false);
  });
});
