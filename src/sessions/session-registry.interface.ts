/**
 * How a client holds its session: a 2025 Streamable HTTP session, a legacy SSE stream, or a
 * 2026-07-28 `subscriptions/listen` stream (one long response, no server kept for it).
 */
export type TransportKind = 'streamable-http' | 'sse' | 'listen';

/**
 * Why a session ended: every exit path is named. `released`: with replicas sharing sessions, a
 * copy this replica let go while the session lives on in the fleet (it was idle here, used
 * elsewhere); the session itself did not end.
 */
export type SessionCloseReason =
  'client' | 'deleted' | 'expired' | 'admin' | 'shutdown' | 'error' | 'released';

export interface SessionInfo {
  id: string;
  transport: TransportKind;
  /** Label of the API key that opened it ("anonymous" when keyless); only that key may use it. */
  keyLabel: string;
  /** Protocol revision the client asked for when it opened the session. */
  protocolVersion: string | null;
  clientName: string | null;
  clientVersion: string | null;
  /** Epoch ms. */
  openedAt: number;
  lastActiveAt: number;
}

/** A live session: its description and the one way to end it. */
export interface McpSession {
  readonly info: SessionInfo;
  touch(now: number): void;
  /** Whether it holds its server now; an idle session lets it go until its next message. */
  readonly awake: boolean;
  /** Lets the server go while the session is idle; false when it is busy or already asleep. */
  hibernate(): Promise<boolean>;
  /** Closes transport and server; safe to call more than once. */
  close(reason: SessionCloseReason): Promise<void>;
}

/**
 * Where open sessions are kept. In memory for one process; a shared implementation can stand in
 * for several replicas without touching the transports.
 */
export interface SessionRegistry {
  add(session: McpSession): void;
  get(id: string): McpSession | undefined;
  remove(id: string): void;
  list(): McpSession[];
  size(transport?: TransportKind): number;
  /** Open sessions opened with this key label, on every transport or on the one given. */
  sizeOfKey(keyLabel: string, transport?: TransportKind): number;
}

export const SESSION_REGISTRY = Symbol('SESSION_REGISTRY');
