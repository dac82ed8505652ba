import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import Redis, { type RedisOptions } from 'ioredis';
import type { Counter, Gauge } from 'prom-client';
import { randomBytes } from 'node:crypto';
import { REDIS_CONFIG } from '../config/app-config.module';
import type { RedisConfig } from '../config/configuration.types';
import { REDIS_CONNECTED, REDIS_FALLBACKS } from './redis.metrics';

/** How often a replica says it is alive, and how long the word lasts without a renewal. */
export const HEARTBEAT_INTERVAL_MS = 2000;
export const HEARTBEAT_TTL_MS = 3 * HEARTBEAT_INTERVAL_MS;

/** How long boot waits for a first connection before going on without one. */
const CONNECT_WAIT_MS = 2000;
/** A fallback is logged at most this often per use, so an outage is a few lines, not a flood. */
const FALLBACK_LOG_INTERVAL_MS = 30_000;

export type MessageHandler = (message: string) => void;

/** Reconnection delay: doubling from 50 ms to 2 s, with jitter so replicas do not reconnect in step. */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(2000, 50 * 2 ** Math.min(attempt, 6));
  return Math.round(base / 2 + (random() * base) / 2);
}

/**
 * The REPLICA_ID an instance id belongs to: "replica-a#1f2e3d4c" → "replica-a". What people read
 * (admin API, health) is the configured name; the suffix only tells boots apart.
 */
export function replicaOf(instanceId: string): string {
  return instanceId.replace(/#[0-9a-f]{8}$/, '');
}

/**
 * Whether a command error means the connection must be made again: READONLY is a connection left
 * on a node demoted to replica by a failover (managed Redis); reconnecting reaches the new primary.
 */
export function shouldReconnect(error: Error): boolean {
  return error.message.startsWith('READONLY');
}

/**
 * This replica's two Redis connections — one for commands, one subscribed to channels — and its
 * heartbeat. Without REDIS_URL it is disabled and every feature keeps its state in the process.
 *
 * Commands fail at once while disconnected (no offline queue) and after REDIS_COMMAND_TIMEOUT_MS:
 * callers fall back to local state or refuse clearly, never hang a request on Redis. Every key
 * and channel carries REDIS_KEY_PREFIX.
 */
@Injectable()
export class RedisConnection implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(RedisConnection.name);
  private commandClient?: Redis;
  private subscriberClient?: Redis;
  private readonly handlers = new Map<string, Set<MessageHandler>>();
  private heartbeat?: NodeJS.Timeout;
  private readonly fallbackLoggedAt = new Map<string, number>();
  private wasReady = false;
  /**
   * This boot of the replica: REPLICA_ID and a random suffix. Heartbeat, relay channel and the
   * owner named in session records use it, so a replica restarted under the same REPLICA_ID
   * (a container restarted in place) is not taken for the one that held the streams before.
   */
  readonly instanceId: string;

  constructor(
    @Inject(REDIS_CONFIG) private readonly config: RedisConfig,
    @InjectMetric(REDIS_CONNECTED.name) private readonly connectedGauge: Gauge,
    @InjectMetric(REDIS_FALLBACKS.name) private readonly fallbacks: Counter<'use'>,
  ) {
    this.instanceId = `${config.replicaId}#${randomBytes(4).toString('hex')}`;
  }

  /** Whether replicas share state through Redis (REDIS_URL is set). */
  get enabled(): boolean {
    return this.config.url !== null;
  }

  /** REPLICA_ID as configured (see `instanceId` for this boot). */
  get replicaId(): string {
    return this.config.replicaId;
  }

  /** Whether the command connection is up now. */
  get connected(): boolean {
    return this.commandClient?.status === 'ready';
  }

  /** The command connection; only when enabled. */
  get command(): Redis {
    if (!this.commandClient) throw new Error('Redis is not configured (REDIS_URL is empty)');
    return this.commandClient;
  }

  /** A key under this deployment's prefix: key('s', id) → "aareguru-mcp:s:<id>". */
  key(...parts: string[]): string {
    return this.config.keyPrefix + parts.join(':');
  }

  /** This boot's heartbeat key; present while it runs. */
  aliveKey(instanceId = this.instanceId): string {
    return this.key('alive', instanceId);
  }

  async onModuleInit(): Promise<void> {
    if (!this.enabled) return;
    this.commandClient = this.connect('command', { enableOfflineQueue: false });
    // Subscriptions made before the connection is up wait for it. On a reconnection they are
    // renewed here, not by ioredis, whose renewal rejects unheard when the connection closes
    // before the reply (a shutdown during a reconnection would end in an unhandled rejection).
    this.subscriberClient = this.connect('subscriber', {
      enableOfflineQueue: true,
      autoResubscribe: false,
    });
    const subscriber = this.subscriberClient;
    let connectedBefore = false;
    subscriber.on('ready', () => {
      if (connectedBefore && this.handlers.size > 0)
        void this.listen(subscriber, [...this.handlers.keys()]);
      connectedBefore = true;
    });
    this.subscriberClient.on('message', (channel: string, message: string) => {
      for (const handler of this.handlers.get(channel) ?? []) {
        try {
          handler(message);
        } catch (error) {
          this.logger.error({ err: error, channel }, 'a Redis message handler failed');
        }
      }
    });
    // Channels features subscribed to before the connection existed.
    if (this.handlers.size > 0) void this.listen(this.subscriberClient, [...this.handlers.keys()]);
    await this.firstConnection();
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_INTERVAL_MS);
    this.heartbeat.unref();
    await this.beat();
  }

  /** Resolves once `handler` gets the messages published on `channel` (prefixed here). */
  async subscribe(channel: string, handler: MessageHandler): Promise<void> {
    const name = this.key(channel);
    let set = this.handlers.get(name);
    if (!set) {
      set = new Set();
      this.handlers.set(name, set);
      if (this.subscriberClient) await this.listen(this.subscriberClient, [name]);
    }
    set.add(handler);
  }

  /**
   * Subscribes now when connected; otherwise the subscription waits in the connection's queue
   * (boot never blocks on Redis) and goes out when it connects.
   */
  private async listen(client: Redis, channels: string[]): Promise<void> {
    const subscribed = client.subscribe(...channels).catch((error: unknown) => {
      this.logger.warn({ err: error, channels }, 'could not subscribe to Redis channels');
    });
    if (client.status === 'ready') await subscribed;
  }

  /** Publishes on a channel (prefixed here); resolves with how many subscribers received it. */
  publish(channel: string, message: string): Promise<number> {
    return this.command.publish(this.key(channel), message);
  }

  /** Round-trip time of a PING, in ms; rejects when Redis does not answer in time. */
  async ping(): Promise<number> {
    const started = performance.now();
    await this.command.ping();
    return Math.round((performance.now() - started) * 10) / 10;
  }

  /** Whether the heartbeat of a replica's boot (its instance id) is current. */
  async isAlive(instanceId: string): Promise<boolean> {
    return (await this.command.exists(this.aliveKey(instanceId))) === 1;
  }

  /**
   * Counts one operation that fell back to this process because Redis failed, and logs it (at
   * most once per use every 30 s).
   */
  fellBack(use: string, error: unknown): void {
    this.fallbacks.inc({ use });
    const now = Date.now();
    if (now - (this.fallbackLoggedAt.get(use) ?? 0) < FALLBACK_LOG_INTERVAL_MS) return;
    this.fallbackLoggedAt.set(use, now);
    this.logger.warn(
      { use, error: error instanceof Error ? error.message : String(error) },
      'Redis unavailable: falling back to this replica',
    );
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.heartbeat);
    if (!this.enabled) return;
    // A replica that stops on purpose says so: the streams it held are gone with it.
    if (this.connected) await this.command.del(this.aliveKey()).catch(() => undefined);
    await Promise.allSettled([this.quit(this.commandClient), this.quit(this.subscriberClient)]);
    this.connectedGauge.set(0);
  }

  private connect(role: string, options: RedisOptions): Redis {
    const client = new Redis(this.config.url!, {
      ...options,
      connectionName: `aareguru-mcp:${this.replicaId}:${role}`,
      commandTimeout: role === 'command' ? this.config.commandTimeoutMs : undefined,
      maxRetriesPerRequest: role === 'command' ? 1 : null,
      retryStrategy: (attempt) => reconnectDelayMs(attempt),
      reconnectOnError: shouldReconnect,
      lazyConnect: false,
    });
    // Without a listener ioredis reports every failed reconnection as an unhandled error.
    client.on('error', () => undefined);
    if (role === 'command') {
      client.on('ready', () => this.onState(true));
      client.on('end', () => this.onState(false));
      client.on('close', () => this.onState(false));
    }
    return client;
  }

  private onState(ready: boolean): void {
    this.connectedGauge.set(ready ? 1 : 0);
    if (ready === this.wasReady) return;
    this.wasReady = ready;
    if (ready) {
      this.logger.log({ replicaId: this.replicaId }, 'connected to Redis');
      void this.beat();
    } else {
      this.logger.warn({ replicaId: this.replicaId }, 'lost the connection to Redis; reconnecting');
    }
  }

  /**
   * Waits (boundedly) for both connections, so that the channels features subscribe to during
   * module init are live before the server takes requests: a stream announced before its relay
   * channel is subscribed would miss the messages other replicas relay to it.
   */
  private async firstConnection(): Promise<void> {
    const [command, subscriber] = await Promise.all(
      [this.command, this.subscriberClient!].map((client) => readyWithin(client, CONNECT_WAIT_MS)),
    );
    if (!command || !subscriber) {
      this.connectedGauge.set(0);
      this.logger.warn(
        { replicaId: this.replicaId },
        'Redis is not reachable yet: starting without it, reconnecting in the background',
      );
    }
  }

  private async beat(): Promise<void> {
    if (!this.connected) return;
    await this.command
      .set(this.aliveKey(), String(Date.now()), 'PX', HEARTBEAT_TTL_MS)
      .catch(() => undefined);
  }

  private async quit(client: Redis | undefined): Promise<void> {
    if (!client) return;
    // QUIT needs a connection; without one, stop reconnecting at once.
    if (client.status !== 'ready') {
      client.disconnect();
      return;
    }
    try {
      await client.quit();
    } catch {
      client.disconnect();
    }
  }
}

/** Whether `client` is ready now or becomes ready within `ms`. */
function readyWithin(client: Redis, ms: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    timer.unref();
    client.once('ready', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
