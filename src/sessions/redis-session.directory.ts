import type Redis from 'ioredis';
import type { RedisConnection } from '../redis/redis-connection';
import {
  AdmissionLimits,
  AdmissionOutcome,
  FleetEvent,
  RelayedMessage,
  SessionDirectory,
  SessionRecord,
} from './session-directory.interface';
import { handshakeField, recordFields, recordFromFields } from './session-record';
import {
  ADMIT_SCRIPT,
  LIVE_SCRIPT,
  REMOVE_SCRIPT,
  RENEW_SCRIPT,
  RESTORE_SCRIPT,
  UPDATE_SCRIPT,
} from './session-scripts';

/** Channel every replica listens on for session events (closed, level changed). */
export const SESSION_EVENTS_CHANNEL = 'ctl';
/** A replica's own channel (per boot): legacy SSE messages for the streams it holds. */
export const relayChannel = (instanceId: string) => `r:${instanceId}`;

type Scripted = Redis & {
  sessionAdmit(...args: (string | number)[]): Promise<number>;
  sessionRenew(...args: (string | number)[]): Promise<number>;
  sessionRestore(...args: (string | number)[]): Promise<number>;
  sessionUpdate(...args: (string | number)[]): Promise<number>;
  sessionRemove(...args: (string | number)[]): Promise<number>;
  sessionLive(...args: (string | number)[]): Promise<string[]>;
};

/**
 * Session records shared by the replicas through Redis:
 * - `s:{id}` a hash per session (see `recordFields`), expiring with the idle timeout;
 * - `s:{id}:ended` a tombstone left by a session that ended, as long as its record would have lived;
 * - `sessions:all` and `sessions:key:{label}` sorted sets of ids scored by expiry (the counts);
 * - channel `ctl` for session events, `r:{replica}` for relayed SSE messages.
 */
export class RedisSessionDirectory implements SessionDirectory {
  readonly shared = true;
  private defined?: Scripted;

  constructor(private readonly redis: RedisConnection) {}

  /** This boot of the replica (REPLICA_ID with a per-boot suffix): a stream's owner. */
  get replicaId(): string {
    return this.redis.instanceId;
  }

  async admit(record: SessionRecord, limits: AdmissionLimits): Promise<AdmissionOutcome> {
    const outcome = await this.client.sessionAdmit(
      this.allKey(),
      this.keyKey(record.keyLabel),
      this.recordKey(record.id),
      this.endedKey(record.id),
      record.id,
      limits.ttlMs,
      limits.maxSessions,
      limits.maxSessionsPerKey,
      ...recordFields(record),
    );
    return (['admitted', 'full', 'key-full', 'ended'] as const)[outcome];
  }

  async read(id: string): Promise<SessionRecord | undefined> {
    const [hash, expiresAt] = await Promise.all([
      this.client.hgetall(this.recordKey(id)),
      this.client.zscore(this.allKey(), id),
    ]);
    const record = recordFromFields(hash);
    if (record && expiresAt !== null) record.expiresAt = Number(expiresAt);
    return record;
  }

  async exists(ids: string[]): Promise<boolean[]> {
    if (ids.length === 0) return [];
    const pipeline = this.client.pipeline();
    for (const id of ids) pipeline.exists(this.recordKey(id));
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, found]) => {
      if (error) throw error;
      return found === 1;
    });
  }

  async renew(id: string, keyLabel: string, ttlMs: number): Promise<boolean> {
    const renewed = await this.client.sessionRenew(
      this.recordKey(id),
      this.allKey(),
      this.keyKey(keyLabel),
      id,
      ttlMs,
    );
    return renewed === 1;
  }

  async restore(record: SessionRecord, ttlMs: number): Promise<boolean> {
    const restored = await this.client.sessionRestore(
      this.allKey(),
      this.keyKey(record.keyLabel),
      this.recordKey(record.id),
      this.endedKey(record.id),
      record.id,
      ttlMs,
      ...recordFields(record),
    );
    return restored === 1;
  }

  async update(
    id: string,
    change: { handshake?: SessionRecord['handshake'][number]; replica?: string },
  ): Promise<boolean> {
    const fields: string[] = [];
    const field = change.handshake && handshakeField(change.handshake);
    if (field) fields.push(field, JSON.stringify(change.handshake));
    if (change.replica) fields.push('replica', change.replica);
    if (fields.length === 0) return true;
    return (await this.client.sessionUpdate(this.recordKey(id), ...fields)) === 1;
  }

  async remove(id: string, keyLabel: string, ttlMs: number): Promise<void> {
    await this.client.sessionRemove(
      this.recordKey(id),
      this.allKey(),
      this.keyKey(keyLabel),
      this.endedKey(id),
      id,
      ttlMs,
    );
  }

  async list(): Promise<SessionRecord[]> {
    const live = await this.client.sessionLive(this.allKey());
    const expiries = new Map<string, number>();
    for (let i = 0; i < live.length; i += 2) expiries.set(live[i], Number(live[i + 1]));
    if (expiries.size === 0) return [];
    const pipeline = this.client.pipeline();
    for (const id of expiries.keys()) pipeline.hgetall(this.recordKey(id));
    const hashes = (await pipeline.exec()) ?? [];
    const records: SessionRecord[] = [];
    for (const [error, hash] of hashes) {
      if (error) throw error;
      const record = recordFromFields(hash as Record<string, string>);
      if (!record) continue;
      record.expiresAt = expiries.get(record.id);
      records.push(record);
    }
    return records.sort((a, b) => a.openedAt - b.openedAt);
  }

  async count(): Promise<number> {
    return (await this.client.sessionLive(this.allKey())).length / 2;
  }

  async announce(event: FleetEvent): Promise<void> {
    await this.redis.publish(SESSION_EVENTS_CHANNEL, JSON.stringify(event));
  }

  onEvent(handler: (event: FleetEvent) => void): Promise<void> {
    return this.redis.subscribe(SESSION_EVENTS_CHANNEL, (message) => {
      const event = parsed<FleetEvent>(message);
      if (event && typeof event.id === 'string') handler(event);
    });
  }

  relay(owner: string, message: RelayedMessage): Promise<number> {
    return this.redis.publish(relayChannel(owner), JSON.stringify(message));
  }

  onRelayed(handler: (message: RelayedMessage) => void): Promise<void> {
    return this.redis.subscribe(relayChannel(this.replicaId), (text) => {
      const message = parsed<RelayedMessage>(text);
      if (message && typeof message.id === 'string') handler(message);
    });
  }

  isAlive(replicaId: string): Promise<boolean> {
    return this.redis.isAlive(replicaId);
  }

  private recordKey(id: string): string {
    return this.redis.key('s', id);
  }

  private endedKey(id: string): string {
    return this.redis.key('s', id, 'ended');
  }

  private allKey(): string {
    return this.redis.key('sessions', 'all');
  }

  private keyKey(keyLabel: string): string {
    return this.redis.key('sessions', 'key', keyLabel);
  }

  /** The command connection with the scripts defined (once: the connection exists after init). */
  private get client(): Scripted {
    if (this.defined) return this.defined;
    const client = this.redis.command;
    client.defineCommand('sessionAdmit', { numberOfKeys: 4, lua: ADMIT_SCRIPT });
    client.defineCommand('sessionRenew', { numberOfKeys: 3, lua: RENEW_SCRIPT });
    client.defineCommand('sessionRestore', { numberOfKeys: 4, lua: RESTORE_SCRIPT });
    client.defineCommand('sessionRemove', { numberOfKeys: 4, lua: REMOVE_SCRIPT });
    client.defineCommand('sessionUpdate', { numberOfKeys: 1, lua: UPDATE_SCRIPT });
    client.defineCommand('sessionLive', { numberOfKeys: 1, lua: LIVE_SCRIPT });
    this.defined = client as Scripted;
    return this.defined;
  }
}

function parsed<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
