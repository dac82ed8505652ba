import {
  BadRequestException,
  ForbiddenException,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Counter } from 'prom-client';
import { HTTP_REJECTED_REQUESTS } from '../metrics/app.metrics';
import { AdminKeyGuard, ApiKeyGuard, MetricsKeyGuard } from './api-key.guard';
import { parseApiKeys } from '../config/api-keys.parser';
import { AuthService } from './auth.service';
import type { AuthenticatedRequest } from './principal';

/** The rejection counter, in no registry: each guard under test gets its own. */
const rejected = () => new Counter({ ...HTTP_REJECTED_REQUESTS, registers: [] });

const USER = 'user-key-0123456789';
const ADMIN = 'admin-key-0123456789';

function contextFor(headers: Record<string, string>): {
  context: ExecutionContext;
  req: AuthenticatedRequest;
  sent: Map<string, unknown>;
} {
  const req = { headers } as unknown as AuthenticatedRequest;
  const sent = new Map<string, unknown>();
  const res = { setHeader: (name: string, value: unknown) => sent.set(name.toLowerCase(), value) };
  const context = {
    switchToHttp: () => ({ getRequest: () => req, getResponse: () => res }),
  } as unknown as ExecutionContext;
  return { context, req, sent };
}

/** Runs a guard that must refuse with 401 and returns the response headers it set. */
function refused(guard: CanActivate, headers: Record<string, string> = {}) {
  const { context, sent } = contextFor(headers);
  expect(() => guard.canActivate(context)).toThrow(UnauthorizedException);
  return sent;
}

const CHALLENGE = 'ApiKey header="X-API-Key", Bearer';

function authService(
  options: {
    keys?: string;
    adminKeys?: string;
    metricsRequireKey?: boolean;
    identityHeader?: string;
  } = {},
) {
  const keys = parseApiKeys(options.keys ?? `team:${USER}`);
  return new AuthService({
    keys,
    adminKeys: parseApiKeys(options.adminKeys ?? `ops:${ADMIN}`),
    keyless: keys.length === 0,
    metricsRequireKey: options.metricsRequireKey ?? false,
    identityHeader: options.identityHeader?.toLowerCase() ?? null,
    identityHeaderName: options.identityHeader ?? null,
  });
}

describe('ApiKeyGuard', () => {
  it('lets a valid key through and records who it is', () => {
    const { context, req } = contextFor({ 'x-api-key': USER });
    expect(new ApiKeyGuard(authService(), rejected()).canActivate(context)).toBe(true);
    expect(req.principal).toEqual({ label: 'team', admin: false });
  });

  it('accepts a bearer token too', () => {
    const { context, req } = contextFor({ authorization: `Bearer ${USER}` });
    new ApiKeyGuard(authService(), rejected()).canActivate(context);
    expect(req.principal?.label).toBe('team');
  });

  it.each<Record<string, string>>([{}, { 'x-api-key': 'wrong-key-0000000000' }])(
    'refuses %p with 401 and counts it',
    async (headers) => {
      const counter = rejected();
      const { context } = contextFor(headers);
      expect(() => new ApiKeyGuard(authService(), counter).canActivate(context)).toThrow(
        UnauthorizedException,
      );
      expect((await counter.get()).values).toEqual([
        expect.objectContaining({ labels: { reason: 'auth' }, value: 1 }),
      ]);
    },
  );

  it.each<Record<string, string>>([
    {},
    { 'x-api-key': 'wrong-key-0000000000' },
    { authorization: 'Bearer wrong-key-0000000000' },
  ])('tells a refused %p how to authenticate', (headers) => {
    const sent = refused(new ApiKeyGuard(authService(), rejected()), headers);
    expect(sent.get('www-authenticate')).toBe(CHALLENGE);
  });

  it('sets no challenge on a request it lets through', () => {
    const { context, sent } = contextFor({ 'x-api-key': USER });
    new ApiKeyGuard(authService(), rejected()).canActivate(context);
    expect(sent.size).toBe(0);
  });

  it('lets everyone through as "anonymous" when the server is keyless', () => {
    const { context, req } = contextFor({});
    expect(new ApiKeyGuard(authService({ keys: '' }), rejected()).canActivate(context)).toBe(true);
    expect(req.principal?.label).toBe('anonymous');
  });
});

describe('ApiKeyGuard behind a gateway that names the caller (IDENTITY_HEADER)', () => {
  const guard = (counter = rejected()) =>
    new ApiKeyGuard(authService({ keys: '', identityHeader: 'X-Consumer-Username' }), counter);

  it('takes the caller from the header, trimmed, as gateway:<identity>', () => {
    const { context, req } = contextFor({ 'x-consumer-username': '  alice@example.com ' });
    expect(guard().canActivate(context)).toBe(true);
    expect(req.principal).toEqual({ label: 'gateway:alice@example.com', admin: false });
    expect((req as unknown as { auth: { clientId: string } }).auth.clientId).toBe(
      'gateway:alice@example.com',
    );
  });

  it.each<Record<string, string>>([
    {},
    { 'x-consumer-username': '' },
    { 'x-consumer-username': '   ' },
  ])(
    'refuses a request without the header (%p) with 403: it did not come through the gateway',
    async (headers) => {
      const counter = rejected();
      const { context, req, sent } = contextFor(headers);
      expect(() => guard().canActivate(contextFor(headers).context)).toThrow(ForbiddenException);
      expect(() => guard(counter).canActivate(context)).toThrow(
        new ForbiddenException(
          'Forbidden: the X-Consumer-Username header naming the caller is missing: requests must come through the gateway',
        ),
      );
      expect(req.principal).toBeUndefined();
      expect(sent.has('www-authenticate')).toBe(false);
      expect((await counter.get()).values).toEqual([
        expect.objectContaining({ labels: { reason: 'auth' }, value: 1 }),
      ]);
    },
  );

  it.each(['a'.repeat(65), 'alice bob', 'alice,bob', 'ali\u00e7e', 'a/b', 'x;y'])(
    'refuses the identity %p with 400 rather than guess who it is',
    async (identity) => {
      const counter = rejected();
      const { context } = contextFor({ 'x-consumer-username': identity });
      expect(() => guard(counter).canActivate(context)).toThrow(
        new BadRequestException(
          'Bad Request: the X-Consumer-Username header is not a valid caller identity (1 to 64 letters, digits and ._@:+-)',
        ),
      );
      expect((await counter.get()).values[0]).toMatchObject({
        labels: { reason: 'auth' },
        value: 1,
      });
    },
  );

  it('accepts 64 characters', () => {
    const { context, req } = contextFor({ 'x-consumer-username': 'a'.repeat(64) });
    guard().canActivate(context);
    expect(req.principal?.label).toBe(`gateway:${'a'.repeat(64)}`);
  });
});

describe('AdminKeyGuard', () => {
  const guard = (auth = authService()) => new AdminKeyGuard(auth, rejected());

  it('admits an admin key', () => {
    const { context, req } = contextFor({ 'x-api-key': ADMIN });
    expect(guard().canActivate(context)).toBe(true);
    expect(req.principal).toEqual({ label: 'ops', admin: true });
  });

  it('answers a user key with 403 and no key with 401', () => {
    expect(() => guard().canActivate(contextFor({ 'x-api-key': USER }).context)).toThrow(
      ForbiddenException,
    );
    expect(() => guard().canActivate(contextFor({}).context)).toThrow(UnauthorizedException);
  });

  it('challenges only a missing or unknown key, not a user key', () => {
    expect(refused(guard()).get('www-authenticate')).toBe(CHALLENGE);
    expect(refused(guard(), { 'x-api-key': 'wrong-key-0000000000' }).get('www-authenticate')).toBe(
      CHALLENGE,
    );
    const { context, sent } = contextFor({ 'x-api-key': USER });
    expect(() => guard().canActivate(context)).toThrow(ForbiddenException);
    expect(sent.has('www-authenticate')).toBe(false);
  });

  it('does not exist without admin keys', () => {
    expect(() =>
      guard(authService({ adminKeys: '' })).canActivate(contextFor({ 'x-api-key': ADMIN }).context),
    ).toThrow(NotFoundException);
  });
});

describe('MetricsKeyGuard', () => {
  it('is open unless told otherwise', () => {
    const auth = authService();
    const guard = new MetricsKeyGuard(
      {
        keys: [],
        adminKeys: [],
        keyless: true,
        metricsRequireKey: false,
        identityHeader: null,
        identityHeaderName: null,
      },
      auth,
      rejected(),
    );
    expect(guard.canActivate(contextFor({}).context)).toBe(true);
  });

  it('wants any valid key when told to', () => {
    const config = {
      keys: [],
      adminKeys: [],
      keyless: false,
      metricsRequireKey: true,
      identityHeader: null,
      identityHeaderName: null,
    };
    const guard = new MetricsKeyGuard(config, authService(), rejected());
    expect(() => guard.canActivate(contextFor({}).context)).toThrow(UnauthorizedException);
    expect(guard.canActivate(contextFor({ 'x-api-key': USER }).context)).toBe(true);
    expect(guard.canActivate(contextFor({ 'x-api-key': ADMIN }).context)).toBe(true);
  });

  it('tells a refused caller how to authenticate', () => {
    const config = {
      keys: [],
      adminKeys: [],
      keyless: false,
      metricsRequireKey: true,
      identityHeader: null,
      identityHeaderName: null,
    };
    const guard = new MetricsKeyGuard(config, authService(), rejected());
    expect(refused(guard).get('www-authenticate')).toBe(CHALLENGE);
    expect(refused(guard, { authorization: 'Bearer nope' }).get('www-authenticate')).toBe(
      CHALLENGE,
    );
  });
});
