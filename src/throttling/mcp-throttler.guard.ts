import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  normalizeIp,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Request, Response } from 'express';
import type { IncomingMessage } from 'node:http';
import type { Counter } from 'prom-client';
import { principalOf } from '../auth/principal';
import { setRateLimitHeaders } from './rate-limit-refusal';
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

  /** Whom a request counts against: the same tracker for every limit, this guard's and others'. */
  trackerOf(req: IncomingMessage): Promise<string> {
    return this.getTracker(req as unknown as Record<string, unknown>);
  }

  protected override getTracker(req: Record<string, unknown>): Promise<string> {
    const request = req as unknown as Request;
    const principal = principalOf(request);
    if (principal.label !== 'anonymous') return Promise.resolve(`key:${principal.label}`);
    // As the library's own tracker: an IPv6 caller counts by its /64, which one host can rotate
    // addresses within; IPv4-mapped addresses count as the IPv4 address.
    const address = request.ip ? normalizeIp(request.ip, this.ipv6SubnetPrefix) : 'unknown';
    return Promise.resolve(`ip:${address}`);
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
    setRateLimitHeaders(res, detail.limit, detail.timeToBlockExpire);
    this.throttled.inc({ limit: detail.key.split('|')[0] });
    return super.throwThrottlingException(context, detail);
  }
}
