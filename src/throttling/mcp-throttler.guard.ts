import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Request, Response } from 'express';
import type { Counter } from 'prom-client';
import { principalOf } from '../auth/principal';
import { THROTTLED_REQUESTS } from './throttling.metrics';

/**
 * Rate limits keyed on the caller's API key label (never the key), or on the client address when
 * the server runs keyless (`TRUST_PROXY` decides which address that is). A refusal is a 429 with
 * the standard `Retry-After` and `RateLimit-*` headers.
 */
@Injectable()
export class McpThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    @InjectMetric(THROTTLED_REQUESTS.name) private readonly throttled: Counter<'limit'>,
  ) {
    super(options, storage, reflector);
  }

  protected override getTracker(req: Record<string, unknown>): Promise<string> {
    const request = req as unknown as Request;
    const principal = principalOf(request);
    return Promise.resolve(
      principal.label === 'anonymous' ? `ip:${request.ip ?? 'unknown'}` : `key:${principal.label}`,
    );
  }

  /** One counter per limit and caller across every route (the library's default is per handler). */
  protected override generateKey(
    _context: ExecutionContext,
    tracker: string,
    name: string,
  ): string {
    return `${name}|${tracker}`;
  }

  protected override async throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const res = context.switchToHttp().getResponse<Response>();
    const retryAfter = Math.max(1, Math.ceil(detail.timeToBlockExpire));
    res.setHeader('Retry-After', String(retryAfter));
    res.setHeader('RateLimit-Limit', String(detail.limit));
    res.setHeader('RateLimit-Remaining', '0');
    res.setHeader('RateLimit-Reset', String(retryAfter));
    this.throttled.inc({ limit: detail.key.split('|')[0] });
    return super.throwThrottlingException(context, detail);
  }
}
