import type { IncomingMessage } from 'node:http';
import { ANONYMOUS, gatewayIdentityOf, metricLabelOf } from './principal';

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
