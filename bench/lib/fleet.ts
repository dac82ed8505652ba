import { cpus } from 'node:os';
import { PROTOCOL_2025 } from './load';
import { openStreamableSession, post, send } from './raw-sessions';

/**
 * Whether a 2025 session opened on one replica can be used on another (the fleet shares
 * sessions through Redis). When it cannot, the replica benchmarks route by session (a sticky
 * gateway) and say so; when it can, every request goes round-robin, as behind a plain Service.
 */
export async function sessionsShared(
  opener: string,
  other: string,
  headers: Record<string, string>,
): Promise<{ shared: boolean; detail: string }> {
  const id = await openStreamableSession(opener, headers);
  const sessionHeaders = {
    ...headers,
    'mcp-session-id': id,
    'mcp-protocol-version': PROTOCOL_2025,
  };
  const answer = await post(
    `${other}/mcp`,
    { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    sessionHeaders,
  );
  await send(`${opener}/mcp`, 'DELETE', undefined, sessionHeaders).catch(() => undefined);
  return answer.status === 200
    ? { shared: true, detail: 'a session opened on one replica is served by another' }
    : {
        shared: false,
        detail: `a session opened on one replica is unknown to another (HTTP ${answer.status})`,
      };
}

/** Where the replicas and the load generator run: one core each when there are enough. */
export interface CorePlan {
  replicaCpus: number[];
  loadCpu: number;
  /** Single-process contenders. */
  singleCpu: number;
  /** Whether each replica has a core of its own (besides the load generator's). */
  ownCores: boolean;
  description: string;
}

export function corePlan(replicas: number): CorePlan {
  const cores = cpus().length;
  if (cores >= replicas + 1) {
    const replicaCpus = Array.from({ length: replicas }, (_, i) => i);
    return {
      replicaCpus,
      loadCpu: replicas,
      singleCpu: 0,
      ownCores: true,
      description: `${cores} cores: replica i on core i, single processes on core 0, load generator and proxy on core ${replicas}`,
    };
  }
  return {
    replicaCpus: Array.from({ length: replicas }, () => 0),
    loadCpu: cores > 1 ? 1 : 0,
    singleCpu: 0,
    ownCores: false,
    description:
      `${cores} cores: not enough for a core per replica plus one for the load, so every server ` +
      `(all ${replicas} replicas too) runs on core 0 and the load generator and proxy on core ${cores > 1 ? 1 : 0}: ` +
      'this measures what Redis and the extra replica cost on one core, not how throughput scales',
  };
}
