import { type JSONRPCRequest, PROTOCOL_VERSION_META_KEY } from '@modelcontextprotocol/server';
import { invalidParamsMessage, isModernRequest } from './request-params';

const request = (method: string, params?: unknown) =>
  ({ jsonrpc: '2.0', id: 1, method, ...(params !== undefined && { params }) }) as JSONRPCRequest;

describe('invalidParamsMessage', () => {
  it.each([
    ['prompts/get', { name: 'daily-swimming-report', arguments: { city: 'bern' } }],
    ['prompts/get', { name: 'p' }],
    ['resources/read', { uri: 'aareguru://cities' }],
    [
      'completion/complete',
      { ref: { type: 'ref/prompt', name: 'p' }, argument: { name: 'city', value: 'b' } },
    ],
    ['logging/setLevel', { level: 'warning' }],
    ['tools/call', { name: 'list_cities', arguments: {} }],
    ['tools/list', undefined],
    ['tools/list', { cursor: 'next' }],
    ['ping', undefined],
  ])('lets valid %s %j through', (method, params) => {
    expect(invalidParamsMessage(request(method, params), false)).toBeUndefined();
  });

  it('says what is wrong in one line, without the params prefix', () => {
    expect(invalidParamsMessage(request('prompts/get', { name: 42 }), false)).toBe(
      'Invalid params for prompts/get: name: expected string, received number',
    );
    expect(
      invalidParamsMessage(request('prompts/get', { name: 'p', arguments: { city: 5 } }), false),
    ).toBe('Invalid params for prompts/get: arguments.city: expected string, received number');
    expect(invalidParamsMessage(request('resources/read', {}), false)).toBe(
      'Invalid params for resources/read: uri: missing (expected string)',
    );
    expect(invalidParamsMessage(request('resources/read'), false)).toBe(
      'Invalid params for resources/read: params: missing (expected object)',
    );
    expect(invalidParamsMessage(request('logging/setLevel', { level: 'loud' }), false)).toBe(
      'Invalid params for logging/setLevel: level: expected one of "debug"|"info"|"notice"|"warning"|"error"|"critical"|"alert"|"emergency"',
    );
    expect(
      invalidParamsMessage(request('completion/complete', { ref: 'x', argument: {} }), false),
    ).toBe(
      'Invalid params for completion/complete: ref: not one of the accepted forms; ' +
        'argument.name: missing (expected string); argument.value: missing (expected string)',
    );
  });

  it('names three problems and counts the rest', () => {
    const message = invalidParamsMessage(
      request('prompts/get', { name: 1, arguments: { a: 1, b: 2, c: 3 } }),
      false,
    );
    expect(message).toMatch(
      /^Invalid params for prompts\/get: name: .*; arguments\.a: .*; arguments\.b: .* \(and 1 more\)$/,
    );
  });

  it('keeps keys a client chose to one short line', () => {
    const key = `line\nbreak${'x'.repeat(500)}`;
    const message = invalidParamsMessage(
      request('prompts/get', { name: 'p', arguments: { [key]: 1 } }),
      false,
    )!;
    expect(message).not.toMatch(/\n/);
    expect(message).toContain('arguments.line break');
    expect(message.length).toBeLessThanOrEqual(280);
  });

  it('checks initialize too', () => {
    expect(invalidParamsMessage(request('initialize', { protocolVersion: 5 }), false)).toBe(
      'Invalid params for initialize: protocolVersion: expected string, received number; ' +
        'capabilities: missing (expected object); clientInfo: missing (expected object)',
    );
  });

  it('leaves methods it does not know to the SDK', () => {
    expect(invalidParamsMessage(request('x/custom', { a: 1 }), false)).toBeUndefined();
  });

  it('leaves 2025-only methods sent for 2026-07-28 to the SDK, which does not know them', () => {
    expect(
      invalidParamsMessage(request('logging/setLevel', { level: 'loud' }), true),
    ).toBeUndefined();
    expect(invalidParamsMessage(request('initialize', {}), true)).toBeUndefined();
    expect(invalidParamsMessage(request('prompts/get', { name: 42 }), true)).toMatch(
      /^Invalid params/,
    );
  });
});

describe('isModernRequest', () => {
  it('follows the edge classification when there is one, else the envelope', () => {
    const enveloped = request('tools/list', {
      _meta: { [PROTOCOL_VERSION_META_KEY]: '2026-07-28' },
    });
    expect(isModernRequest(enveloped)).toBe(true);
    expect(isModernRequest(request('tools/list', {}))).toBe(false);
    expect(isModernRequest(request('tools/list', {}), { era: 'modern' })).toBe(true);
    expect(isModernRequest(enveloped, { era: 'legacy' })).toBe(false);
  });
});
