import type { IncomingMessage } from 'node:http';
import { ANONYMOUS, gatewayIdentityOf, metricLabelOf, presentedCredential } from './principal';

const request = (headers: IncomingMessage['headers']) => ({ headers }) as IncomingMessage;

describe('gatewayIdentityOf', () => {
  it('reads the configured header, trimmed', () => {
    expect(gatewayIdentityOf(request({ 'x-user': ' team-a:svc+1 ' }), 'x-user')).toEqual({
      ok: true,
      principal: { label: 'gateway:team-a:svc+1', admin: false },
    });
  });

  it('says when the header is missing or blank', () => {
    expect(gatewayIdentityOf(request({}), 'x-user')).toEqual({ ok: false, reason: 'missing' });
    expect(gatewayIdentityOf(request({ 'x-user': ' ' }), 'x-user')).toEqual({
      ok: false,
      reason: 'missing',
    });
  });

  it('refuses a header sent twice rather than pick one', () => {
    expect(gatewayIdentityOf(request({ 'x-user': ['alice', 'bob'] }), 'x-user')).toEqual({
      ok: false,
      reason: 'invalid',
    });
  });
});

describe('metricLabelOf', () => {
  it('keeps key labels and anonymous, which are a bounded set', () => {
    expect(metricLabelOf({ label: 'team-a' })).toBe('team-a');
    expect(metricLabelOf(ANONYMOUS)).toBe('anonymous');
  });

  it('counts every identity a gateway names under one label', () => {
    expect(metricLabelOf({ label: 'gateway:alice' })).toBe('gateway');
    expect(metricLabelOf({ label: 'gateway:bob@example.com' })).toBe('gateway');
  });
});

describe('presentedCredential', () => {
  const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
  const both = { keys: true, tokens: true };

  it('reads X-API-Key as a key, and a JWT-shaped bearer as a token', () => {
    expect(presentedCredential(request({ 'x-api-key': 'k-123' }), both)).toEqual({
      kind: 'key',
      value: 'k-123',
    });
    expect(presentedCredential(request({ authorization: `Bearer ${JWT}` }), both)).toEqual({
      kind: 'token',
      value: JWT,
    });
    expect(presentedCredential(request({ authorization: 'bearer k-123' }), both)).toEqual({
      kind: 'key',
      value: 'k-123',
    });
  });

  it('takes only what the server takes', () => {
    const tokensOnly = { keys: false, tokens: true };
    expect(presentedCredential(request({ 'x-api-key': 'k-123' }), tokensOnly)).toBeUndefined();
    // A bearer that is no JWT is still checked as a token, and refused as one.
    expect(presentedCredential(request({ authorization: 'Bearer k-123' }), tokensOnly)).toEqual({
      kind: 'token',
      value: 'k-123',
    });
    expect(
      presentedCredential(request({ authorization: `Bearer ${JWT}` }), {
        keys: true,
        tokens: false,
      }),
    ).toEqual({ kind: 'key', value: JWT });
    expect(presentedCredential(request({ authorization: 'Basic a2V5' }), both)).toBeUndefined();
  });
});

describe('metricLabelOf for token callers', () => {
  it('counts them as oauth, or as their configured client application', () => {
    expect(metricLabelOf({ label: 'oauth:alice' })).toBe('oauth');
    expect(metricLabelOf({ label: 'oauth:alice', metric: 'oauth:claude' })).toBe('oauth:claude');
  });
});
