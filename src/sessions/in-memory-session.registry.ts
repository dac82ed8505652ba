import type { McpSession, SessionRegistry, TransportKind } from './session-registry.interface';

export class InMemorySessionRegistry implements SessionRegistry {
  private readonly sessions = new Map<string, McpSession>();

  add(session: McpSession): void {
    this.sessions.set(session.info.id, session);
  }

  get(id: string): McpSession | undefined {
    return this.sessions.get(id);
  }

  remove(id: string): void {
    this.sessions.delete(id);
  }

  list(): McpSession[] {
    return [...this.sessions.values()];
  }

  size(transport?: TransportKind): number {
    if (!transport) return this.sessions.size;
    let count = 0;
    for (const session of this.sessions.values())
      if (session.info.transport === transport) count += 1;
    return count;
  }
}
