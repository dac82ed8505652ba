import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import {
  boundedClientString,
  deliverable,
  MAX_CLIENT_STRING_LENGTH,
  replayCopy,
} from './handshake';

const HUGE = 'x'.repeat(200_000);

function initialize(params: Record<string, unknown>): JSONRPCMessage {
  return { jsonrpc: '2.0', id: 7, method: 'initialize', params } as JSONRPCMessage;
}

const VALID = {
  protocolVersion: '2025-11-25',
  capabilities: {
    roots: { listChanged: true },
    sampling: { tools: {}, extra: { blob: HUGE } },
    elicitation: { form: { applyDefaults: true }, url: {} },
    experimental: { blob: { data: HUGE } },
    extensions: { 'io.example/x': { data: HUGE } },
    tasks: { list: {} },
  },
  clientInfo: { name: 'n'.repeat(1000), version: '1.2.3', title: 'T', icons: [{ src: HUGE }] },
  _meta: { note: HUGE },
};

describe('handshake copies', () => {
  it('keeps of an initialize only what the server reads, with client strings cut', () => {
    const kept = {
      protocolVersion: '2025-11-25',
      capabilities: {
        roots: { listChanged: true },
        sampling: { tools: {} },
        elicitation: { form: {}, url: {} },
      },
      clientInfo: { name: 'n'.repeat(MAX_CLIENT_STRING_LENGTH), version: '1.2.3' },
    };
    expect(deliverable(initialize(VALID))).toEqual({
      jsonrpc: '2.0',
      id: 7,
      method: 'initialize',
      params: kept,
    });
    // The replayed copy carries an id of its own: its answer is never sent to the client.
    expect(replayCopy(initialize(VALID))).toEqual({
      jsonrpc: '2.0',
      id: 'replay:initialize',
      method: 'initialize',
      params: kept,
    });
    expect(JSON.stringify(replayCopy(initialize(VALID))).length).toBeLessThan(400);
  });

  it('keeps a declared capability without sub-capabilities as declared', () => {
    const copy = replayCopy(
      initialize({ ...VALID, capabilities: { roots: {}, elicitation: {}, sampling: {} } }),
    );
    // toEqual: an empty object must stay empty, not gain sub-capabilities.
    expect((copy as { params?: { capabilities?: unknown } }).params?.capabilities).toEqual({
      roots: {},
      elicitation: {},
      sampling: {},
    });
  });

  it('hands an invalid initialize to the server as sent, and keeps nothing of it', () => {
    for (const params of [
      { ...VALID, clientInfo: { name: 5, version: '1' } },
      { ...VALID, capabilities: 'all' },
      { capabilities: {}, clientInfo: { name: 'a', version: '1' } },
    ]) {
      const message = initialize(params);
      expect(deliverable(message)).toBe(message);
      expect(replayCopy(message)).toBeUndefined();
    }
    // An initialize sent as a notification is ignored by the server: nothing to replay.
    const notification = { jsonrpc: '2.0', method: 'initialize', params: VALID } as JSONRPCMessage;
    expect(deliverable(notification)).toBe(notification);
    expect(replayCopy(notification)).toBeUndefined();
  });

  it('keeps a valid logging level and the initialized notification, without anything else', () => {
    expect(
      replayCopy({
        jsonrpc: '2.0',
        id: HUGE,
        method: 'logging/setLevel',
        params: { level: 'error', _meta: { note: HUGE } },
      }),
    ).toEqual({
      jsonrpc: '2.0',
      id: 'replay:logging/setLevel',
      method: 'logging/setLevel',
      params: { level: 'error' },
    });
    expect(
      replayCopy({ jsonrpc: '2.0', id: 3, method: 'logging/setLevel', params: { level: HUGE } }),
    ).toBeUndefined();
    expect(
      replayCopy({
        jsonrpc: '2.0',
        method: 'notifications/initialized',
        params: { _meta: { note: HUGE } },
      }),
    ).toEqual({ jsonrpc: '2.0', method: 'notifications/initialized' });
  });

  it('hands every other message to the server as sent', () => {
    const call = {
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'x', arguments: { big: HUGE } },
    } as JSONRPCMessage;
    expect(deliverable(call)).toBe(call);
    expect(replayCopy(call)).toBeUndefined();
  });

  it('cuts client strings to a bounded length and refuses anything that is not a string', () => {
    expect(boundedClientString('claude-code')).toBe('claude-code');
    expect(boundedClientString(HUGE)).toHaveLength(MAX_CLIENT_STRING_LENGTH);
    expect(boundedClientString({ name: HUGE })).toBeNull();
    expect(boundedClientString(undefined)).toBeNull();
  });
});
