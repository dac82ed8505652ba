import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { SessionLifecycleService } from '../sessions/session-lifecycle.service';
import { SESSION_REGISTRY, SessionRegistry } from '../sessions/session-registry.interface';
import { RedisConnection } from '../redis/redis-connection';
import { ResourcePoller } from '../subscriptions/resource-poller';
import {
  isListenSubscriber,
  listenInstanceOf,
  SubscriptionsService,
} from '../subscriptions/subscriptions.service';

/**
 * Ties subscriptions to the sessions and streams they belong to: a session's subscriptions end
 * with it, a listen stream's with its response, and the poller learns which subscribers still
 * exist (a session may expire in the fleet without any replica closing it).
 */
@Injectable()
export class LiveResources implements OnModuleInit, OnModuleDestroy {
  /** Listen streams of this process that subscribed to resources. */
  private readonly listeners = new Set<string>();
  private stopEnded?: () => void;

  constructor(
    private readonly subscriptions: SubscriptionsService,
    private readonly poller: ResourcePoller,
    private readonly lifecycle: SessionLifecycleService,
    @Inject(SESSION_REGISTRY) private readonly registry: SessionRegistry,
    private readonly redis: RedisConnection,
  ) {}

  onModuleInit(): void {
    this.stopEnded = this.lifecycle.onEnded((info) => {
      if (info.transport !== 'listen') void this.subscriptions.ended(info.id);
    });
    this.poller.useLiveness((subscribers) => this.alive(subscribers));
  }

  onModuleDestroy(): void {
    this.stopEnded?.();
  }

  /**
   * Records what a listen stream about to be served on `res` asks to hear about; they end when
   * the response closes. Throws the protocol error to answer instead (nothing recorded).
   */
  async listen(res: ServerResponse, keyLabel: string, uris: string[]): Promise<void> {
    const subscriber = this.subscriptions.newListenSubscriber();
    // Known before it is recorded: the poll its subscription starts must find it alive.
    this.listeners.add(subscriber);
    try {
      await this.subscriptions.listen(subscriber, keyLabel, uris);
    } catch (error) {
      this.listeners.delete(subscriber);
      throw error;
    }
    const end = () => {
      this.listeners.delete(subscriber);
      void this.subscriptions.ended(subscriber);
    };
    if (res.destroyed || res.writableFinished) end();
    else res.once('close', end);
  }

  /**
   * Sessions are alive while the fleet (or this process) holds them; listen streams while their
   * process holds them. A stdio client's subscriptions never reach this store: a stdio process
   * keeps its own.
   */
  private async alive(subscribers: string[]): Promise<boolean[]> {
    const sessions = subscribers.filter((s) => !isListenSubscriber(s));
    const sessionAlive = new Map<string, boolean>();
    if (this.lifecycle.shared) {
      const exists = await this.lifecycle.fleet.exists(sessions);
      sessions.forEach((s, i) => sessionAlive.set(s, exists[i]));
    } else {
      for (const s of sessions) sessionAlive.set(s, this.registry.get(s) !== undefined);
    }
    /** Another replica removes its own streams' subscriptions; a dead one's are gone here. */
    const instances = new Map<string, boolean>();
    const result: boolean[] = [];
    for (const subscriber of subscribers) {
      if (!isListenSubscriber(subscriber)) {
        result.push(sessionAlive.get(subscriber) ?? false);
        continue;
      }
      const instance = listenInstanceOf(subscriber);
      if (instance === this.redis.instanceId) {
        result.push(this.listeners.has(subscriber));
        continue;
      }
      if (!instances.has(instance)) {
        instances.set(instance, this.redis.enabled && (await this.redis.isAlive(instance)));
      }
      result.push(instances.get(instance)!);
    }
    return result;
  }
}
