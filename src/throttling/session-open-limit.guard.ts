import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import {
  InjectThrottlerStorage,
  ThrottlerException,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Counter } from 'prom-client';
import { HTTP_CONFIG } from '../config/app-config.module';
import type { HttpConfig } from '../config/configuration.types';
import { exchangeOf } from '../common/mcp-exchange';
import { McpThrottlerGuard } from './mcp-throttler.guard';
import {
  addRateLimitHeaders,
  rateLimitMessage,
  type RateLimitPolicy,
  setRefusalHeaders,
  stateOf,
} from './rate-limit-refusal';
import { THROTTLED_REQUESTS } from './throttling.metrics';

const MINUTE_MS = 60_000;
export const SESSION_OPEN_LIMIT = 'session-open';

/**
 * The tighter per-minute limit on opening sessions (SESSION_OPEN_PER_MINUTE), so a reconnection
 * storm cannot exhaust the server. Whether a request opens a session is known once its body has
 * been read, so this guard comes after RequestBodyGuard and reads the request's one
 * classification.
 */
@Injectable()
export class SessionOpenLimitGuard implements CanActivate {
  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    @Inject(HTTP_CONFIG) private readonly config: HttpConfig,
    private readonly throttler: McpThrottlerGuard,
    @InjectMetric(THROTTLED_REQUESTS.name) private readonly throttled: Counter<'limit'>,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<IncomingMessage>();
    if (exchangeOf(req)?.opensSession) {
      const limit = this.config.sessionOpenPerMinute;
      const tracker = await this.throttler.trackerOf(req);
      const record = await this.storage.increment(
        `${SESSION_OPEN_LIMIT}|${tracker}`,
        MINUTE_MS,
        limit,
        MINUTE_MS,
        SESSION_OPEN_LIMIT,
      );
      const res = context.switchToHttp().getResponse<ServerResponse>();
      const policy: RateLimitPolicy = {
        name: SESSION_OPEN_LIMIT,
        limit,
        windowSeconds: MINUTE_MS / 1000,
      };
      if (record.isBlocked) {
        setRefusalHeaders(res, policy, record.timeToBlockExpire);
        this.throttled.inc({ limit: SESSION_OPEN_LIMIT });
        throw new ThrottlerException(rateLimitMessage(policy, record.timeToBlockExpire));
      }
      addRateLimitHeaders(res, [policy], [stateOf(SESSION_OPEN_LIMIT, limit, record)]);
    }
    return true;
  }
}
