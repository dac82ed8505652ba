import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import {
  InjectThrottlerStorage,
  ThrottlerException,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Observable } from 'rxjs';
import { HTTP_CONFIG } from '../config/app-config.module';
import type { HttpConfig } from '../config/configuration.types';
import { MetricsService } from '../metrics/metrics.service';
import { exchangeOf } from '../common/mcp-exchange';
import { McpThrottlerGuard } from './mcp-throttler.guard';
import { RATE_LIMIT_MESSAGE, setRateLimitHeaders } from './rate-limit-refusal';

const MINUTE_MS = 60_000;
export const SESSION_OPEN_LIMIT = 'session-open';

/**
 * The tighter per-minute limit on opening sessions (SESSION_OPEN_PER_MINUTE), so a reconnection
 * storm cannot exhaust the server. Whether a request opens a session is known once its body has
 * been read, so this runs after the body step, on the request's one classification.
 */
@Injectable()
export class SessionOpenLimitInterceptor implements NestInterceptor {
  constructor(
    @InjectThrottlerStorage() private readonly storage: ThrottlerStorage,
    @Inject(HTTP_CONFIG) private readonly config: HttpConfig,
    private readonly throttler: McpThrottlerGuard,
    private readonly metrics: MetricsService,
  ) {}

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
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
      if (record.isBlocked) {
        const res = context.switchToHttp().getResponse<ServerResponse>();
        setRateLimitHeaders(res, limit, record.timeToBlockExpire);
        this.metrics.throttled.inc({ limit: SESSION_OPEN_LIMIT });
        throw new ThrottlerException(RATE_LIMIT_MESSAGE);
      }
    }
    return next.handle();
  }
}
