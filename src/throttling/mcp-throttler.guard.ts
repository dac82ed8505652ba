import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  normalizeIp,
  ThrottlerException,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Request } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counter } from 'prom-client';
import { principalOf } from '../auth/principal';
import { countsInOrder, incrementEachInOrder, type LimitHit } from './ordered-throttler-storage';
import {
  addRateLimitHeaders,
  rateLimitMessage,
  type RateLimitPolicy,
  setRefusalHeaders,
  stateOf,
} from './rate-limit-refusal';
import { THROTTLED_REQUESTS } from './throttling.metrics';

/**
 * Rate limits keyed on the caller's API key label (never the key), or on the client address when
 * the server runs keyless (`TRUST_PROXY` decides which address that is). A refusal is a 429 with
 * `Retry-After`, the draft standard's `RateLimit-Policy` and `RateLimit` headers, and a message
 * that names the limit and when to retry.
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
   * Every limit of the request counted in order, stopping at the first refusal: in one round trip
   * with a storage that can (Redis), else one after the other as the library does. The limits
   * are the module's (no route sets its own here), so per-route decorators need not be read. The
   * answer carries the draft standard's `RateLimit-Policy` and `RateLimit` headers, never the
   * library's `X-RateLimit-*-<name>` and `Retry-After-<name>` ones.
   */
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const storage = this.storageService;
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
    const records = countsInOrder(storage)
      ? await storage.incrementInOrder(hits)
      : await incrementEachInOrder(storage, hits);
    addRateLimitHeaders(
      res as unknown as ServerResponse,
      hits.map(policyOf),
      records.map((record, i) => stateOf(hits[i].throttlerName, hits[i].limit, record)),
    );
    const refused = records.findIndex((record) => record.isBlocked);
    if (refused >= 0) {
      const { key, ttl, limit } = hits[refused];
      await this.throwThrottlingException(context, {
        limit,
        ttl,
        key,
        tracker,
        ...records[refused],
      });
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

  protected override throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const res = context.switchToHttp().getResponse<ServerResponse>();
    const name = detail.key.split('|')[0];
    const policy = policyOf({ throttlerName: name, limit: detail.limit, ttl: detail.ttl });
    setRefusalHeaders(res, policy, detail.timeToBlockExpire);
    this.throttled.inc({ limit: name });
    throw new ThrottlerException(rateLimitMessage(policy, detail.timeToBlockExpire));
  }
}

function policyOf(hit: Pick<LimitHit, 'throttlerName' | 'limit' | 'ttl'>): RateLimitPolicy {
  return { name: hit.throttlerName, limit: hit.limit, windowSeconds: hit.ttl / 1000 };
}

async function resolved(
  context: ExecutionContext,
  value: number | ((context: ExecutionContext) => number | Promise<number>),
): Promise<number> {
  return typeof value === 'function' ? value(context) : value;
}
