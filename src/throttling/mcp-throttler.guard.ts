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
import { countsInOrder, type LimitHit } from './ordered-throttler-storage';
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

  /**
   * With a storage that can (Redis), every limit of the request is counted in one round trip
   * instead of one per limit; each result is then handled as the library does (headers, 429),
   * in the same order. The limits are the module's (no route sets its own here), so per-route
   * decorators need not be read.
   */
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const storage = this.storageService;
    if (!countsInOrder(storage)) return super.canActivate(context);
    const { req, res } = this.getRequestResponse(context);
    const tracker = await this.getTracker(req);
    const hits: LimitHit[] = [];
    for (const throttler of this.throttlers) {
      const name = throttler.name ?? 'default';
      const ttl = await resolved(context, throttler.ttl);
      hits.push({
        key: this.generateKey(context, tracker, name),
        ttl,
        limit: await resolved(context, throttler.limit),
        blockDuration: await resolved(context, throttler.blockDuration ?? ttl),
        throttlerName: name,
      });
    }
    const records = await storage.incrementInOrder(hits);
    for (const [i, record] of records.entries()) {
      const { key, ttl, limit, throttlerName } = hits[i];
      const suffix = throttlerName === 'default' ? '' : `-${throttlerName}`;
      const setHeaders = this.throttlers[i].setHeaders ?? this.commonOptions.setHeaders ?? true;
      if (record.isBlocked) {
        if (setHeaders) {
          this.setResponseHeader(res, `Retry-After${suffix}`, record.timeToBlockExpire);
        }
        await this.throwThrottlingException(context, { limit, ttl, key, tracker, ...record });
      }
      if (setHeaders) {
        const remaining = Math.max(0, limit - record.totalHits);
        this.setResponseHeader(res, `${this.headerPrefix}-Limit${suffix}`, limit);
        this.setResponseHeader(res, `${this.headerPrefix}-Remaining${suffix}`, remaining);
        this.setResponseHeader(res, `${this.headerPrefix}-Reset${suffix}`, record.timeToExpire);
      }
    }
    return true;
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

async function resolved(
  context: ExecutionContext,
  value: number | ((context: ExecutionContext) => number | Promise<number>),
): Promise<number> {
  return typeof value === 'function' ? value(context) : value;
}
