import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import {
  InMemoryServerEventBus,
  ProtocolError,
  ProtocolErrorCode,
  ResourceNotFoundError,
  type ServerEvent,
} from '@modelcontextprotocol/server';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { randomUUID } from 'node:crypto';
import { UnknownCityError } from '../aareguru/aareguru.errors';
import { AareguruService } from '../aareguru/aareguru.service';
import { LIVE_CONFIG } from '../config/app-config.module';
import type { LiveConfig } from '../config/configuration.types';
import { describeFailure } from '../mcp/mcp-errors';
import { RedisConnection } from '../redis/redis-connection';
import { parseSubscribable } from './subscribable-uri';
import { SUBSCRIPTION_REFUSALS } from './subscriptions.metrics';
import { AddOutcome, SUBSCRIPTION_STORE, SubscriptionStore } from './subscription-store';

/** Every replica's listen streams hear of changes through this channel. */
export const LISTEN_EVENTS_CHANNEL = 'listen-events';

/** Injection token of this process's event bus for 2026-07-28 `subscriptions/listen` streams. */
export const LISTEN_BUS = Symbol('LISTEN_BUS');

const LISTEN_PREFIX = 'listen:';
const STDIO_PREFIX = 'stdio:';

/** Whether a subscriber is a 2026-07-28 listen stream (told through the bus, not a session log). */
export const isListenSubscriber = (subscriber: string): boolean =>
  subscriber.startsWith(LISTEN_PREFIX);

/** The replica (per boot) a listen subscriber's stream is held by. */
export const listenInstanceOf = (subscriber: string): string =>
  subscriber.slice(LISTEN_PREFIX.length, subscriber.lastIndexOf(':'));

export type RefusalReason =
  'not_subscribable' | 'unknown_city' | 'subscriber_limit' | 'key_limit' | 'unavailable';

/**
 * Resource subscriptions: checks and records what sessions (2025 `resources/subscribe`, stdio)
 * and listen streams (2026-07-28 `subscriptions/listen`) subscribe to, within their bounds, and
 * carries the poller's change events to this process's listen streams on every replica.
 */
@Injectable()
export class SubscriptionsService implements OnModuleInit {
  private readonly logger = new Logger(SubscriptionsService.name);
  /** Called when a subscription is added: the poller takes its baseline now. */
  private readonly addedListeners = new Set<() => void>();

  constructor(
    @Inject(SUBSCRIPTION_STORE) private readonly store: SubscriptionStore,
    @Inject(LISTEN_BUS) private readonly bus: InMemoryServerEventBus,
    @Inject(LIVE_CONFIG) private readonly config: LiveConfig,
    private readonly aareguru: AareguruService,
    private readonly redis: RedisConnection,
    @InjectMetric(SUBSCRIPTION_REFUSALS.name) private readonly refusals: Counter<'reason'>,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.redis.enabled) return;
    await this.redis.subscribe(LISTEN_EVENTS_CHANNEL, (message) => {
      const event = parsedEvent(message);
      if (event) this.bus.publish(event);
    });
  }

  /**
   * The one client of this process over stdio, as a subscriber and session: per process, so that
   * stdio processes sharing a Redis never hear each other's updates.
   */
  get stdioSubscriber(): string {
    return `${STDIO_PREFIX}${this.redis.instanceId}`;
  }

  /** A new subscriber id for a listen stream held by this process. */
  newListenSubscriber(): string {
    return `${LISTEN_PREFIX}${this.redis.instanceId}:${randomUUID()}`;
  }

  /** Subscribes a session (or stdio) to one resource; throws a protocol error the client sees. */
  async subscribe(subscriber: string, keyLabel: string, uri: string): Promise<void> {
    await this.check(uri);
    await this.add(subscriber, keyLabel, [uri]);
  }

  /** Ends one subscription; unsubscribing from what was not subscribed is not an error. */
  async unsubscribe(subscriber: string, uri: string): Promise<void> {
    try {
      await this.store.remove(subscriber, uri);
    } catch (error) {
      throw this.unavailable(error);
    }
  }

  /**
   * Records the resources a listen stream asks to hear about, all checked first; throws a
   * protocol error (nothing recorded) when one is not subscribable or a bound would be passed.
   */
  async listen(subscriber: string, keyLabel: string, uris: string[]): Promise<void> {
    const distinct = [...new Set(uris)];
    if (distinct.length > this.config.maxSubscriptionsPerSession) {
      throw this.refused(
        'subscriber_limit',
        `At most ${this.config.maxSubscriptionsPerSession} resources per listen stream`,
      );
    }
    for (const uri of distinct) await this.check(uri);
    await this.add(subscriber, keyLabel, distinct);
  }

  /** The subscriber's session (or listen stream) ended: its subscriptions go with it. */
  async ended(subscriber: string): Promise<void> {
    try {
      await this.store.removeAll(subscriber);
    } catch (error) {
      // The poller removes the subscriptions of sessions it finds gone.
      this.logger.warn({ err: error, subscriber }, 'could not remove ended subscriptions');
    }
  }

  /** Tells every replica's listen streams; each stream's filter picks what it asked for. */
  async publishToListeners(event: ServerEvent): Promise<void> {
    if (this.redis.enabled) {
      await this.redis.publish(LISTEN_EVENTS_CHANNEL, JSON.stringify(event));
    } else {
      this.bus.publish(event);
    }
  }

  onAdded(listener: () => void): () => void {
    this.addedListeners.add(listener);
    return () => this.addedListeners.delete(listener);
  }

  private async check(uri: string): Promise<void> {
    const target = parseSubscribable(uri);
    if (!target) {
      throw this.refused(
        'not_subscribable',
        `${uri.slice(0, 200)} cannot be subscribed to. Subscribable: aareguru://current/{city}, ` +
          'aareguru://today/{city}, aareguru://widget, aareguru://cities',
        ProtocolErrorCode.InvalidParams,
      );
    }
    if (target.kind !== 'current' && target.kind !== 'today') return;
    try {
      await this.aareguru.resolveCity(target.city);
    } catch (error) {
      if (error instanceof UnknownCityError) {
        this.refusals.inc({ reason: 'unknown_city' });
        throw Object.assign(new ResourceNotFoundError(uri, error.message), { cause: error });
      }
      this.refusals.inc({ reason: 'unavailable' });
      throw new ProtocolError(ProtocolErrorCode.InternalError, describeFailure(error).message);
    }
  }

  private async add(subscriber: string, keyLabel: string, uris: string[]): Promise<void> {
    const limits = {
      perSubscriber: this.config.maxSubscriptionsPerSession,
      perKey: this.config.maxSubscriptionsPerKey,
    };
    let outcome: AddOutcome;
    try {
      outcome = await this.store.add(subscriber, keyLabel, uris, limits);
    } catch (error) {
      throw this.unavailable(error);
    }
    if (outcome === 'subscriber-full') {
      throw this.refused(
        'subscriber_limit',
        `Subscription limit reached: at most ${limits.perSubscriber} resources per session`,
      );
    }
    if (outcome === 'key-full') {
      throw this.refused(
        'key_limit',
        `Subscription limit reached: at most ${limits.perKey} subscriptions per API key`,
      );
    }
    if (outcome === 'added') for (const listener of this.addedListeners) listener();
  }

  private refused(
    reason: RefusalReason,
    message: string,
    code: ProtocolErrorCode = ProtocolErrorCode.InvalidRequest,
  ): ProtocolError {
    this.refusals.inc({ reason });
    return new ProtocolError(code, message);
  }

  private unavailable(error: unknown): ProtocolError {
    this.redis.fellBack('subscriptions', error);
    this.refusals.inc({ reason: 'unavailable' });
    return new ProtocolError(
      ProtocolErrorCode.InternalError,
      'Subscriptions are unavailable right now; try again shortly',
    );
  }
}

function parsedEvent(message: string): ServerEvent | undefined {
  try {
    const event = JSON.parse(message) as ServerEvent;
    return typeof event?.kind === 'string' ? event : undefined;
  } catch {
    return undefined;
  }
}
