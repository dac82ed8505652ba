import type { JSONRPCMessage } from '@modelcontextprotocol/server';

/** The transports whose sessions the fleet records (listen streams stay counted per replica). */
export type RecordedTransport = 'streamable-http' | 'sse';

/**
 * What the fleet knows of one session, whichever replica holds it: enough to check who may use
 * it, to show it, and (Streamable HTTP) to rebuild it on another replica.
 */
export interface SessionRecord {
  id: string;
  transport: RecordedTransport;
  keyLabel: string;
  protocolVersion: string | null;
  clientName: string | null;
  clientVersion: string | null;
  /** Epoch ms, from the clock of the replica that opened it. */
  openedAt: number;
  /**
   * The replica (its boot's instance id) holding its streams: the SSE stream's owner, or the last
   * to serve a 2025 session.
   */
  replica: string;
  /** Streamable HTTP: what `replayCopy` keeps of initialize, initialized and the logging level. */
  handshake: JSONRPCMessage[];
  /** Epoch ms (Redis time) when the record expires unless used; set when read from the fleet. */
  expiresAt?: number;
}

/** 'ended': a session with this id ended (its tombstone is there); it cannot be opened again. */
export type AdmissionOutcome = 'admitted' | 'full' | 'key-full' | 'ended';

/** Fleet-wide session limits at the moment of admission. */
export interface AdmissionLimits {
  maxSessions: number;
  maxSessionsPerKey: number;
  /** The record lives this long unless renewed (SESSION_IDLE_TIMEOUT_SECONDS). */
  ttlMs: number;
}

/** What one replica tells the others about a session. */
export type FleetEvent =
  /** It ended (DELETE, admin, lifetime): every copy closes with this reason. */
  | { type: 'closed'; id: string; reason: 'deleted' | 'admin' | 'expired' | 'error'; from: string }
  /** Its logging level changed: copies replay the kept setLevel into their servers. */
  | { type: 'level'; id: string; setLevel: JSONRPCMessage; from: string };

/** A legacy SSE client message, relayed to the replica that holds the stream. */
export interface RelayedMessage {
  id: string;
  keyLabel: string;
  /** The label the caller is counted under in metrics, when not derived from keyLabel. */
  metricLabel?: string;
  /** The scopes of the caller's token, as the POST carried them. */
  scopes?: string[];
  message: JSONRPCMessage;
}

/**
 * Where sessions are recorded for the fleet. In one process (no REDIS_URL) there is nothing to
 * record: `shared` is false and the lifecycle never calls the rest. With Redis, every replica
 * reads and writes the same records and counts, and they talk over channels.
 *
 * Every method may reject when the store is unreachable; callers refuse clearly (503) or fall
 * back to what the replica holds.
 */
export interface SessionDirectory {
  readonly shared: boolean;
  /**
   * This replica in the fleet: with Redis, its boot (REPLICA_ID and a per-boot suffix, see
   * `RedisConnection.instanceId`), the owner named in records, events and relay channels.
   */
  readonly replicaId: string;
  /** Counts the fleet's sessions and, when there is room, records this one: atomically. */
  admit(record: SessionRecord, limits: AdmissionLimits): Promise<AdmissionOutcome>;
  read(id: string): Promise<SessionRecord | undefined>;
  /** Whether the record still exists (another replica may be using the session). */
  exists(ids: string[]): Promise<boolean[]>;
  /** Pushes the expiry out by `ttlMs`; false when the record is gone. */
  renew(id: string, keyLabel: string, ttlMs: number): Promise<boolean>;
  /**
   * Writes the record again without counting it against the limits (a store that lost it);
   * false, writing nothing, when the session ended (removed within `ttlMs` before).
   */
  restore(record: SessionRecord, ttlMs: number): Promise<boolean>;
  /** Replaces one handshake message (by method) and/or the holding replica, if the record exists. */
  update(id: string, change: { handshake?: JSONRPCMessage; replica?: string }): Promise<boolean>;
  /** Ends a session: its record goes, and for `ttlMs` it can neither be restored nor admitted. */
  remove(id: string, keyLabel: string, ttlMs: number): Promise<void>;
  /** Every live record, oldest first. */
  list(): Promise<SessionRecord[]>;
  /** Live sessions in the fleet. */
  count(): Promise<number>;
  announce(event: FleetEvent): Promise<void>;
  onEvent(handler: (event: FleetEvent) => void): Promise<void>;
  /** Publishes to the owner's channel; resolves with how many replicas received it. */
  relay(owner: string, message: RelayedMessage): Promise<number>;
  onRelayed(handler: (message: RelayedMessage) => void): Promise<void>;
  isAlive(replicaId: string): Promise<boolean>;
}

export const SESSION_DIRECTORY = Symbol('SESSION_DIRECTORY');
