import type { McpSession, SessionRegistry, TransportKind } from './session-registry.interface';

export class InMemorySessionRegistry implements SessionRegistry {
  private readonly sessions = new Map<string, McpSession>();
  /** Open sessions per key label, kept up to date so admission checks do not scan them all. */
  private readonly perKey = new Map<string, number>();

  add(session: McpSession): void {
    if (this.sessions.has(session.info.id)) return;
    this.sessions.set(session.info.id, session);
    const key = session.info.keyLabel;
    this.perKey.set(key, (this.perKey.get(key) ?? 0) + 1);
  }

  get(id: string): McpSession | undefined {
    return this.sessions.get(id);
  }

  remove(id: string): void {
    const session = this.sessions.get(id);
    if (!session) return;
    this.sessions.delete(id);
    const key = session.info.keyLabel;
    const left = (this.perKey.get(key) ?? 1) - 1;
    if (left > 0) this.perKey.set(key, left);
    else this.perKey.delete(key);
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

  sizeOfKey(keyLabel: string): number {
    return this.perKey.get(keyLabel) ?? 0;
  }
}
