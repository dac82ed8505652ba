import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { JSONRPCMessage } from '@modelcontextprotocol/server';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge } from 'prom-client';
import { AsyncResource } from 'node:async_hooks';
import { AareguruService } from '../aareguru/aareguru.service';
import { CLOCK, Clock, TIMERS, Timers } from '../common/clock';
import { CACHE_CONFIG, LIVE_CONFIG } from '../config/app-config.module';
import type { CacheConfig, LiveConfig } from '../config/configuration.types';
import { SESSION_EVENT_LOG, SessionEventLog, STANDALONE_STREAM } from '../events/session-event-log';
import { RedisConnection } from '../redis/redis-connection';
import {
  changedParts,
  fingerprint,
  type Fingerprints,
  widgetFingerprints,
} from './change-detection';
import { POLL_LEASE, PollLease } from './poll-lease';
import { parseSubscribable, type Subscribable } from './subscribable-uri';
import { SUBSCRIPTION_STORE, SubscriptionStore } from './subscription-store';
import { isListenSubscriber, SubscriptionsService } from './subscriptions.service';
import {
  RESOURCE_UPDATES,
  SUBSCRIPTION_POLLER,
  SUBSCRIPTION_POLLS,
  SUBSCRIPTIONS,
  UPDATE_NOTIFICATIONS,
} from './subscriptions.metrics';

/** A new subscription anywhere asks the polling replica for its baseline now. */
export const POLL_KICK_CHANNEL = 'poll-kick';

/** After the data read expires from the cache: the next poll finds it expired, not a hair early. */
const EXPIRY_MARGIN_MS = 20;

/** Which of these subscribers still exist (their session is open somewhere). */
export type SubscriberLiveness = (subscribers: string[]) => Promise<boolean[]>;

const updated = (uri: string): JSONRPCMessage => ({
  jsonrpc: '2.0',
  method: 'notifications/resources/updated',
  params: { uri },
});

const LIST_CHANGED: JSONRPCMessage = {
  jsonrpc: '2.0',
  method: 'notifications/resources/list_changed',
};

/**
 * Finds out when subscribed resources change, and tells their subscribers. One process of the
 * deployment polls (the lease), and only while anyone is subscribed: each time what it read last
 * expires from the cache (once per CACHE_TTL_SECONDS) it reads `/widget` through the shared cache
 * — one document for every city, and the same entry tools read — and `/cities` when someone
 * subscribed to it. A city whose widget entry changed has its `/current` fetched again
 * (when subscribed) and its `/today` dropped from the cache, so that a subscriber reading after
 * the notification gets the new data. The fingerprints of each poll are kept in the store, so a
 * replica taking the lease over compares with what the last poller saw.
 */
@Injectable()
export class ResourcePoller implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(ResourcePoller.name);
  private readonly pollMs: number;
  private held = false;
  private stopped = false;
  private running?: Promise<void>;
  private again = false;
  /** The last poll found nobody subscribed: no next poll until a subscription is added. */
  private idleNow = false;
  /** When the freshest data the last poll read leaves the cache (epoch ms), if it read any. */
  private dueAt?: number;
  private cancelLease?: () => void;
  private cancelPoll?: () => void;
  private stopAddedListener?: () => void;
  private liveness: SubscriberLiveness = (subscribers) =>
    Promise.resolve(subscribers.map(() => true));
  /** Bound at start-up: a poll is nobody's call, whichever request asked for it. */
  private readonly pollNow: () => void;
  private readonly renewLease: () => void;

  constructor(
    @Inject(SUBSCRIPTION_STORE) private readonly store: SubscriptionStore,
    @Inject(POLL_LEASE) private readonly lease: PollLease,
    @Inject(SESSION_EVENT_LOG) private readonly log: SessionEventLog,
    private readonly subscriptions: SubscriptionsService,
    private readonly aareguru: AareguruService,
    private readonly redis: RedisConnection,
    @Inject(CACHE_CONFIG) cache: CacheConfig,
    @Inject(LIVE_CONFIG) private readonly config: LiveConfig,
    @Inject(TIMERS) private readonly timers: Timers,
    @Inject(CLOCK) private readonly clock: Clock,
    @InjectMetric(RESOURCE_UPDATES.name) private readonly updates: Counter<'resource'>,
    @InjectMetric(UPDATE_NOTIFICATIONS.name) private readonly notifications: Counter<'outcome'>,
    @InjectMetric(SUBSCRIPTION_POLLS.name) private readonly polls: Counter<'outcome'>,
    @InjectMetric(SUBSCRIPTION_POLLER.name) private readonly pollerGauge: Gauge<string>,
    @InjectMetric(SUBSCRIPTIONS.name) private readonly subscriptionsGauge: Gauge<string>,
  ) {
    this.pollMs = cache.ttlSeconds * 1000;
    this.pollNow = AsyncResource.bind(() => this.poll());
    this.renewLease = AsyncResource.bind(() => void this.keepLease());
  }

  async onModuleInit(): Promise<void> {
    this.pollerGauge.set(0);
    if (this.redis.enabled) {
      await this.redis.subscribe(POLL_KICK_CHANNEL, () => {
        if (this.held) this.pollNow();
      });
    }
    this.stopAddedListener = this.subscriptions.onAdded(() => this.kick());
    // Known before the first request: a subscription made at once gets its baseline at once.
    await this.keepLease();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    this.cancelLease?.();
    this.cancelPoll?.();
    this.stopAddedListener?.();
    await this.running;
    if (this.held) {
      this.held = false;
      this.pollerGauge.set(0);
      // The next replica takes over at once instead of after the lease runs out.
      await this.lease.release().catch(() => undefined);
    }
  }

  /** How the poller tells a live subscriber from one whose session is gone. */
  useLiveness(liveness: SubscriberLiveness): void {
    this.liveness = liveness;
  }

  /** Whether this process is the one polling. */
  get polling(): boolean {
    return this.held;
  }

  /** Resolves once no poll is running (nor asked for meanwhile). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** A subscription was added here: the poller (wherever it runs) takes its baseline now. */
  private kick(): void {
    if (!this.redis.enabled) {
      this.pollNow();
      return;
    }
    this.redis
      .publish(POLL_KICK_CHANNEL, '1')
      .catch((error: unknown) => this.redis.fellBack('subscriptions', error));
  }

  private async keepLease(): Promise<void> {
    if (this.stopped) return;
    let held: boolean;
    try {
      held = await this.lease.hold();
    } catch (error) {
      // Without Redis nobody can be sure to hold it: stop, another replica may be polling.
      this.redis.fellBack('subscriptions', error);
      held = false;
    }
    if (held !== this.held && !this.stopped) {
      this.held = held;
      this.pollerGauge.set(held ? 1 : 0);
      if (this.lease.shared) {
        this.logger.log(
          held ? 'this replica now polls upstream for subscriptions' : 'no longer polling',
        );
      }
      if (held) this.pollNow();
      else {
        this.cancelPoll?.();
        // What another replica counts from now on.
        this.subscriptionsGauge.set(0);
      }
    } else if (held && this.lease.shared && !this.running && this.cancelPoll === undefined) {
      // Idle: a subscription whose kick was lost (Redis reconnecting) is found here.
      this.pollNow();
    }
    // The single process holds it for good; a shared lease is renewed three times per lease
    // period, so a missed renewal or two does not lose it.
    if (this.stopped || !this.lease.shared) return;
    this.cancelLease = this.timers.schedule(
      this.renewLease,
      Math.max(100, Math.floor(this.config.pollLeaseMs / 3)),
    );
  }

  /**
   * The next poll, while anyone is subscribed: when what the last poll read expires from the
   * cache (so every poll finds the cache expired and asks upstream, once per TTL), else (a poll
   * that failed) one TTL from now.
   */
  private schedulePoll(): void {
    if (this.stopped || !this.held) return;
    this.cancelPoll?.();
    const delayMs =
      this.dueAt === undefined
        ? this.pollMs
        : Math.max(Math.min(this.pollMs, 1000), this.dueAt + EXPIRY_MARGIN_MS - this.clock.now());
    this.cancelPoll = this.timers.schedule(() => {
      this.cancelPoll = undefined;
      if (!this.running) this.pollNow();
    }, delayMs);
  }

  /** Notes when data read by this poll expires; stale data (upstream failing) is not waited on. */
  private readAt(answer: { fetchedAt: number; stale: boolean }): void {
    if (answer.stale) return;
    const expiresAt = answer.fetchedAt + this.pollMs;
    this.dueAt = this.dueAt === undefined ? expiresAt : Math.min(this.dueAt, expiresAt);
  }

  /** One poll at a time; asked for while one runs, another follows it. */
  private poll(): void {
    if (this.stopped || !this.held) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.dueAt = undefined;
    this.idleNow = false;
    this.running = this.pollSubscriptions()
      .then(
        () => {
          if (!this.idleNow) this.polls.inc({ outcome: 'ok' });
        },
        (error: unknown) => {
          this.polls.inc({ outcome: 'failed' });
          this.logger.warn({ err: error }, 'polling for subscriptions failed');
        },
      )
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.poll();
        } else if (!this.idleNow) {
          this.schedulePoll();
        }
      });
  }

  private async pollSubscriptions(): Promise<void> {
    await this.removeGone();
    const targets = (await this.store.uris())
      .map(parseSubscribable)
      .filter((t): t is Subscribable => t !== undefined);
    this.subscriptionsGauge.set(await this.store.count());
    // Nobody listens: upstream is not asked, and nothing is scheduled until someone subscribes.
    if (targets.length === 0) {
      this.idleNow = true;
      // A later subscriber's baseline is what upstream says then, not what it said long before.
      if (Object.keys(await this.store.fingerprints()).length > 0) {
        await this.store.saveFingerprints({});
      }
      return;
    }

    const next: Fingerprints = {};
    if (targets.some((t) => t.kind !== 'cities')) {
      const widget = await this.aareguru.widget();
      this.readAt(widget);
      Object.assign(next, widgetFingerprints(widget.value.values));
    }
    if (targets.some((t) => t.kind === 'cities')) {
      const cities = await this.aareguru.cities();
      this.readAt(cities);
      next.cities = fingerprint(cities.value);
    }
    const previous = await this.store.fingerprints();
    const changed = new Set(changedParts(previous, next));
    const changedUris: Subscribable[] = [];
    const cityTargets = new Map<string, Subscribable[]>();
    for (const target of targets) {
      if (target.kind === 'widget' || target.kind === 'cities') {
        if (changed.has(target.kind)) changedUris.push(target);
      } else if (changed.has(`widget:${target.city}`)) {
        cityTargets.set(target.city, [...(cityTargets.get(target.city) ?? []), target]);
      }
    }
    for (const [city, cityChanges] of cityTargets) {
      try {
        // The notified client reads next: the cache must hold the new data by then.
        if (cityChanges.some((t) => t.kind === 'current')) await this.aareguru.refreshCurrent(city);
        if (cityChanges.some((t) => t.kind === 'today')) await this.aareguru.forgetToday(city);
        changedUris.push(...cityChanges);
      } catch (error) {
        // The city's change is seen again at the next poll, and told then, once.
        const part = `widget:${city}`;
        if (part in previous) next[part] = previous[part];
        else delete next[part];
        this.logger.warn({ err: error, city }, 'could not refresh a changed city');
      }
    }
    await this.store.saveFingerprints(next);
    // Each change on its own: a failure telling one resource's subscribers stops no other.
    for (const target of changedUris) {
      this.updates.inc({ resource: target.kind });
      await this.notify(target.uri).catch((error: unknown) =>
        this.logger.warn({ err: error, uri: target.uri }, 'could not tell a resource update'),
      );
    }
    if (changed.has('city-ids')) {
      this.updates.inc({ resource: 'list' });
      await this.notifyListChanged(targets).catch((error: unknown) =>
        this.logger.warn({ err: error }, 'could not tell a changed city list'),
      );
    }
  }

  /** Every subscriber of the URI: sessions through their event log, listen streams through the bus. */
  private async notify(uri: string): Promise<void> {
    const subscribers = await this.store.subscribersOf(uri);
    const sessions = subscribers.filter((s) => !isListenSubscriber(s));
    await this.queue(sessions, updated(uri));
    if (sessions.length < subscribers.length) {
      await this.subscriptions.publishToListeners({ kind: 'resource_updated', uri });
    }
  }

  /** The city list changed: every subscribed session and listen stream that asked is told once. */
  private async notifyListChanged(targets: Subscribable[]): Promise<void> {
    const everyone = new Set<string>();
    for (const { uri } of targets) {
      for (const subscriber of await this.store.subscribersOf(uri)) everyone.add(subscriber);
    }
    await this.queue(
      [...everyone].filter((s) => !isListenSubscriber(s)),
      LIST_CHANGED,
    );
    await this.subscriptions.publishToListeners({ kind: 'resources_list_changed' });
  }

  private async queue(sessions: string[], message: JSONRPCMessage): Promise<void> {
    const results = await Promise.allSettled(
      sessions.map((session) => this.log.append(session, STANDALONE_STREAM, message)),
    );
    for (const result of results) {
      this.notifications.inc({ outcome: result.status === 'fulfilled' ? 'queued' : 'failed' });
    }
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) this.logger.warn({ err: failed.reason }, 'could not queue resource notifications');
  }

  /** Subscriptions of sessions that ended without saying so (expired elsewhere, a dead replica). */
  private async removeGone(): Promise<void> {
    const subscribers = await this.store.subscribers();
    if (subscribers.length === 0) return;
    const alive = await this.liveness(subscribers);
    const gone = subscribers.filter((_, i) => !alive[i]);
    for (const subscriber of gone) await this.store.removeAll(subscriber);
    if (gone.length > 0)
      this.logger.log({ count: gone.length }, 'removed subscriptions of ended sessions');
  }
}
