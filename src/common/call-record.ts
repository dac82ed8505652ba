import type { AuthInfo } from '@modelcontextprotocol/server';

/** How a call ended; `cancelled`: the client cancelled it (or left) before the answer. */
export type CallOutcome = 'ok' | 'error' | 'cancelled';

/**
 * Where a tool call, resource read or prompt get notes how it ended, so the HTTP request that
 * carried it logs one line with both the HTTP and the MCP facts. The transport attaches one to a
 * request whose response waits for the answer; without one (stdio, legacy SSE, where the answer
 * travels on another stream) the MCP layer logs its own line.
 */
export interface CallRecord {
  outcome?: CallOutcome;
  /** For a failed call: what kind of failure (invalid_input, unknown_city, upstream…). */
  failure?: string;
  durationMs?: number;
}

const CALL_RECORD = 'callRecord';

/** The auth info a transport hands the MCP server for this request, carrying the record. */
export function withCallRecord(auth: AuthInfo | undefined, record: CallRecord): AuthInfo {
  return {
    token: '',
    clientId: '',
    scopes: [],
    ...auth,
    extra: { ...auth?.extra, [CALL_RECORD]: record },
  };
}

export function callRecordOf(auth: AuthInfo | undefined): CallRecord | undefined {
  return auth?.extra?.[CALL_RECORD] as CallRecord | undefined;
}
