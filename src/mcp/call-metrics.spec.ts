import {
  ProtocolError,
  ProtocolErrorCode,
  ResourceNotFoundError,
} from '@modelcontextprotocol/server';
import { z } from 'zod';
import {
  MissBudgetExceededError,
  UnknownCityError,
  UpstreamError,
} from '../aareguru/aareguru.errors';
import { HistoryRangeError } from '../domain/history-dates';
import { countingRefusals } from './counting-refusals';
import { describeFailure, failureKindOf, outcomeOfFailure } from './mcp-errors';
import { keyLabelOf, rpcMethodLabel } from './rpc-method-label';
import { shareJsonSchema } from './shared-json-schema';

describe('call metrics', () => {
  describe('outcomeOfFailure', () => {
    it.each([
      ['invalid_input', 'client_error'],
      ['unknown_city', 'client_error'],
      ['invalid_range', 'client_error'],
      ['key_budget', 'client_error'],
      ['upstream', 'upstream_error'],
      ['upstream_busy', 'upstream_error'],
      ['internal', 'internal_error'],
    ] as const)('%s is counted as %s', (kind, outcome) => {
      expect(outcomeOfFailure(kind)).toBe(outcome);
    });

    it('classifies the errors the tools meet', () => {
      const outcomeOf = (error: unknown) => outcomeOfFailure(describeFailure(error).kind);
      expect(outcomeOf(new UnknownCityError('atlantis', ['bern']))).toBe('client_error');
      expect(outcomeOf(new HistoryRangeError('too_long' as never, 'too long'))).toBe(
        'client_error',
      );
      expect(outcomeOf(new MissBudgetExceededError('team-a', 12))).toBe('client_error');
      expect(outcomeOf(new UpstreamError('timeout', '/current', 'slow'))).toBe('upstream_error');
      expect(outcomeOf(new UpstreamError('busy', '/current', 'busy'))).toBe('upstream_error');
      expect(outcomeOf(new Error('bug'))).toBe('internal_error');
    });
  });

  describe('failureKindOf', () => {
    it('looks through the protocol error a resource or prompt throws to the domain error', () => {
      const notFound = Object.assign(new ResourceNotFoundError('aareguru://current/x'), {
        cause: new UnknownCityError('x', ['bern']),
      });
      expect(failureKindOf(notFound)).toBe('unknown_city');
      const unavailable = Object.assign(
        new ProtocolError(ProtocolErrorCode.InternalError, 'unavailable'),
        { cause: new UpstreamError('network', '/today', 'refused') },
      );
      expect(failureKindOf(unavailable)).toBe('upstream');
    });

    it('takes a domain error as it is, even one with a cause of its own', () => {
      expect(failureKindOf(new UnknownCityError('x', ['bern']))).toBe('unknown_city');
      const withCause = new UpstreamError('network', '/today', 'reset', undefined, {
        cause: new Error('ECONNRESET'),
      });
      expect(failureKindOf(withCause)).toBe('upstream');
      expect(failureKindOf(new ProtocolError(ProtocolErrorCode.InternalError, 'x'))).toBe(
        'internal',
      );
    });
  });

  describe('rpcMethodLabel', () => {
    it('keeps the methods an MCP client may send, requests and notifications', () => {
      for (const method of [
        'initialize',
        'tools/call',
        'resources/read',
        'prompts/get',
        'completion/complete',
        'server/discover',
        'subscriptions/listen',
        'notifications/initialized',
        'notifications/cancelled',
      ]) {
        expect(rpcMethodLabel(method)).toBe(method);
      }
    });

    it('turns any other method into "other", so clients cannot grow the label set', () => {
      expect(rpcMethodLabel('tools/explode')).toBe('other');
      expect(rpcMethodLabel('x'.repeat(10_000))).toBe('other');
      expect(rpcMethodLabel('__proto__')).toBe('other');
    });
  });

  describe('keyLabelOf', () => {
    it('is the key label over HTTP, anonymous without one, stdio without a transport extra', () => {
      expect(keyLabelOf({ authInfo: { clientId: 'team-a' } })).toBe('team-a');
      expect(keyLabelOf({ authInfo: { clientId: '' } })).toBe('anonymous');
      expect(keyLabelOf({})).toBe('anonymous');
      expect(keyLabelOf(undefined)).toBe('stdio');
      expect(keyLabelOf({ authInfo: { clientId: 'gateway:alice' } })).toBe('gateway');
    });
  });

  describe('countingRefusals', () => {
    const schema = shareJsonSchema(z.object({ city: z.string() }));

    it('calls back on each refused value only, and validates as the schema does', async () => {
      let refused = 0;
      const counted = countingRefusals(schema, () => refused++);
      const ok = await counted['~standard'].validate({ city: 'bern' });
      expect(ok).toEqual({ value: { city: 'bern' } });
      expect(refused).toBe(0);
      const bad = await counted['~standard'].validate({ city: 5 });
      expect(bad.issues).toHaveLength(1);
      expect(refused).toBe(1);
    });

    it('keeps the JSON Schema and leaves the shared schema untouched', () => {
      const counted = countingRefusals(schema, () => undefined);
      const standard = (s: unknown) =>
        (s as { '~standard': { jsonSchema: { input(o: object): unknown } } })['~standard'];
      expect(standard(counted).jsonSchema.input({ target: 'draft-2020-12' })).toEqual(
        standard(schema).jsonSchema.input({ target: 'draft-2020-12' }),
      );
      expect(schema['~standard'].validate).not.toBe(counted['~standard'].validate);
    });
  });
});
